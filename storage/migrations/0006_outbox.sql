-- 0006: the outbox. Every notice (a message to send or a card to edit) is written in
-- the same transaction as the change that causes it; the sender marks it sent. A
-- crash between the two loses nothing: the engine sends what is still pending.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    kind             TEXT NOT NULL,
    recipient_id     INTEGER NOT NULL REFERENCES people (id),
    referral_id      INTEGER REFERENCES referrals (id),
    offer_id         INTEGER REFERENCES offers (id),
    message_id       INTEGER,
    vals             TEXT NOT NULL DEFAULT '{}',   -- S: may hold a typed reason
    created_at       TEXT NOT NULL,
    next_attempt_at  TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    claimed_at       TEXT,                         -- a sender is on it (a lease)
    sent_at          TEXT,
    dead_at          TEXT,                         -- given up (e.g. the person blocked the bot)
    last_error       TEXT
);
CREATE INDEX outbox_pending ON outbox (next_attempt_at)
    WHERE sent_at IS NULL AND dead_at IS NULL;
