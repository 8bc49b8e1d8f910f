-- 0013: retention empties the sealed values of an erased referral's notices, found by
-- referral. The outbox keeps its sent rows, so without this each erasure read the whole
-- outbox, and a round of them (statements run on the bot's event loop) stopped the bot.
CREATE INDEX outbox_referral ON outbox (referral_id) WHERE referral_id IS NOT NULL;
