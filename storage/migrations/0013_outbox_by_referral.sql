-- 0013: retention empties the sealed values of an erased referral's notices, found by
-- referral. The outbox keeps its sent rows, so without this each erasure read the whole
-- outbox, and a round of them (statements run on the bot's event loop) stopped the bot.
CREATE INDEX outbox_referral ON outbox (referral_id) WHERE referral_id IS NOT NULL;
-- /status reads how many notices wait and how many were given up lately: by index too,
-- not by reading every notice ever sent.
CREATE INDEX outbox_given_up ON outbox (dead_at) WHERE dead_at IS NOT NULL;
