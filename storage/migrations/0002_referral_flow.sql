-- 0002: what an officer files, what a worker records, and the drafts and typed-answer
-- prompts that let a conversation survive a restart.
-- Sensitive columns (marked S) hold personal data: they never go to offer cards,
-- groups or logs, and are encrypted at rest by a later migration.

ALTER TABLE referrals ADD COLUMN safety TEXT NOT NULL DEFAULT '';           -- comma list
ALTER TABLE referrals ADD COLUMN appropriate_adult_now INTEGER NOT NULL DEFAULT 0;
ALTER TABLE referrals ADD COLUMN age_band TEXT;
ALTER TABLE referrals ADD COLUMN consent TEXT;
ALTER TABLE referrals ADD COLUMN consent_note TEXT;                        -- why not asked
ALTER TABLE referrals ADD COLUMN consultation INTEGER NOT NULL DEFAULT 0;   -- consent declined
ALTER TABLE referrals ADD COLUMN person_name TEXT;                         -- S
ALTER TABLE referrals ADD COLUMN person_phone TEXT;                        -- S
ALTER TABLE referrals ADD COLUMN no_phone INTEGER NOT NULL DEFAULT 0;      -- visit only
ALTER TABLE referrals ADD COLUMN place TEXT;                               -- S
ALTER TABLE referrals ADD COLUMN latitude REAL;                            -- S
ALTER TABLE referrals ADD COLUMN longitude REAL;                           -- S
ALTER TABLE referrals ADD COLUMN summary TEXT;                             -- S
ALTER TABLE referrals ADD COLUMN accepted_at TEXT;
ALTER TABLE referrals ADD COLUMN contacted_at TEXT;
ALTER TABLE referrals ADD COLUMN closed_at TEXT;
ALTER TABLE referrals ADD COLUMN outcome TEXT;
ALTER TABLE referrals ADD COLUMN resource_type TEXT;
ALTER TABLE referrals ADD COLUMN resource_name TEXT;                       -- S
ALTER TABLE referrals ADD COLUMN closing_note TEXT;                        -- S (one line for the officer)
ALTER TABLE referrals ADD COLUMN officer_card_message_id INTEGER;
CREATE INDEX referrals_officer ON referrals (officer_id, status);
CREATE INDEX referrals_station_status ON referrals (station_id, status);

-- An officer's unfinished referral: one per officer, kept in the database so it
-- survives silence and restarts. `data` is the draft as JSON (S).
CREATE TABLE drafts (
    person_id        INTEGER PRIMARY KEY REFERENCES people (id),
    token            TEXT NOT NULL,        -- in callback data: taps on another draft's card are stale
    data             TEXT NOT NULL,                -- S
    card_message_id  INTEGER,
    updated_at       TEXT NOT NULL
);

-- A question waiting for a typed answer (a decline reason, a closing note…).
-- One per person: a new question replaces an unanswered one.
CREATE TABLE prompts (
    person_id        INTEGER PRIMARY KEY REFERENCES people (id),
    token            TEXT NOT NULL,        -- in the Cancel button: an old card cancels nothing
    purpose          TEXT NOT NULL,
    referral_id      INTEGER REFERENCES referrals (id),
    data             TEXT NOT NULL DEFAULT '{}',   -- S (e.g. a resource's name)
    card_message_id  INTEGER,
    created_at       TEXT NOT NULL
);
