-- 0016: a worker hands an open case to a colleague of the team, who takes it or not.
-- One row per request. The holder keeps the case until the colleague takes it, so a
-- request nobody answers leaves nobody without it; ``remind_at`` is its timer (the
-- engine tells the coordinators once it passes, then clears it). ``card_message_id``
-- is the holder's case card, which says "Handed over to …" once it is done.
CREATE TABLE case_handovers (
    id               INTEGER PRIMARY KEY,
    referral_id      INTEGER NOT NULL REFERENCES referrals (id),
    from_id          INTEGER NOT NULL REFERENCES people (id),
    to_id            INTEGER NOT NULL REFERENCES people (id),
    reason           TEXT,                              -- S: typed by the worker
    state            TEXT NOT NULL DEFAULT 'open',      -- open, taken, refused, cancelled
    created_at       TEXT NOT NULL,
    responded_at     TEXT,
    remind_at        TEXT,
    card_message_id  INTEGER
);
CREATE INDEX case_handovers_referral ON case_handovers (referral_id, state);
CREATE INDEX case_handovers_due ON case_handovers (remind_at) WHERE remind_at IS NOT NULL;
