-- foreign_keys: off
-- 0014: categories and age bands are the deployment's ([[categories]] and [[age_bands]]
-- in the configuration), so the referrals table no longer lists the categories: one
-- added to the configuration is filed without a schema change, and one taken out of it
-- leaves its referrals readable and counted. SQLite cannot drop a CHECK constraint, so
-- the table is rebuilt by SQLite's documented procedure ("Making Other Kinds Of Table
-- Schema Changes", https://www.sqlite.org/lang_altertable.html): the first line above
-- makes the runner (storage/db.py) turn foreign keys off around this migration and run
-- PRAGMA foreign_key_check before it commits. Every column keeps its name, type,
-- default, constraints, personal-data mark and place; the table's indexes are made
-- again exactly (it has no triggers, and no view or trigger names it).
CREATE TABLE referrals_new (
    id              INTEGER PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    station_id      TEXT NOT NULL REFERENCES stations (id),
    officer_id      INTEGER NOT NULL REFERENCES people (id),
    category        TEXT NOT NULL,           -- an id of [[categories]]; no fixed list
    urgency         TEXT NOT NULL CHECK (urgency IN ('immediate', 'urgent', 'routine')),
    co_response     INTEGER NOT NULL DEFAULT 0 CHECK (co_response IN (0, 1)),
    status          TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'contacted',
                        'assessment', 'plan', 'intervention', 'closed', 'returned', 'withdrawn')),
    assignee_id     INTEGER REFERENCES people (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_action_at  TEXT,
    safety          TEXT NOT NULL DEFAULT '',           -- comma list
    appropriate_adult_now INTEGER NOT NULL DEFAULT 0,
    age_band        TEXT,                               -- an id of [[age_bands]]
    consent         TEXT,
    consent_note    TEXT,                               -- why not asked
    consultation    INTEGER NOT NULL DEFAULT 0,         -- consent declined
    person_name     TEXT,                               -- S
    person_phone    TEXT,                               -- S
    no_phone        INTEGER NOT NULL DEFAULT 0,         -- visit only
    place           TEXT,                               -- S
    latitude        REAL,                               -- S
    longitude       REAL,                               -- S
    summary         TEXT,                               -- S
    accepted_at     TEXT,
    contacted_at    TEXT,
    closed_at       TEXT,
    outcome         TEXT,
    resource_type   TEXT,
    resource_name   TEXT,                               -- S
    closing_note    TEXT,                               -- S (one line for the officer)
    officer_card_message_id INTEGER,
    plan            TEXT,                               -- JSON, see bot/domain/escalation.py
    level           INTEGER NOT NULL DEFAULT 0,
    rounds          INTEGER NOT NULL DEFAULT 0,         -- repeats of the last level
    held            INTEGER NOT NULL DEFAULT 0,         -- waiting for the morning
    on_way_at       TEXT,
    arrived_at      TEXT,
    contact_reminded_at TEXT,
    contact_escalated_at TEXT,
    stale_reminded_at TEXT,
    legal_hold      INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1)),
    erased_at       TEXT
);
INSERT INTO referrals_new (
    id, ref, station_id, officer_id, category, urgency, co_response, status, assignee_id,
    created_at, updated_at, next_action_at, safety, appropriate_adult_now, age_band,
    consent, consent_note, consultation, person_name, person_phone, no_phone, place,
    latitude, longitude, summary, accepted_at, contacted_at, closed_at, outcome,
    resource_type, resource_name, closing_note, officer_card_message_id, plan, level,
    rounds, held, on_way_at, arrived_at, contact_reminded_at, contact_escalated_at,
    stale_reminded_at, legal_hold, erased_at
)
SELECT
    id, ref, station_id, officer_id, category, urgency, co_response, status, assignee_id,
    created_at, updated_at, next_action_at, safety, appropriate_adult_now, age_band,
    consent, consent_note, consultation, person_name, person_phone, no_phone, place,
    latitude, longitude, summary, accepted_at, contacted_at, closed_at, outcome,
    resource_type, resource_name, closing_note, officer_card_message_id, plan, level,
    rounds, held, on_way_at, arrived_at, contact_reminded_at, contact_escalated_at,
    stale_reminded_at, legal_hold, erased_at
FROM referrals;
DROP TABLE referrals;
ALTER TABLE referrals_new RENAME TO referrals;
CREATE INDEX referrals_due ON referrals (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE INDEX referrals_assignee ON referrals (assignee_id, status);
CREATE INDEX referrals_officer ON referrals (officer_id, status);
CREATE INDEX referrals_station_status ON referrals (station_id, status);
