-- 0001: people, enrolment, the station/team directory, the audit log, and the shape of
-- referrals so later work adds columns rather than rewriting tables.
-- Times are UTC text in one fixed format (storage/timefmt.py), so they sort and compare.

CREATE TABLE stations (
    id          TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

CREATE TABLE teams (
    id          TEXT PRIMARY KEY,
    name_zh     TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
);

-- Which team covers which station; one team per station keeps routing unambiguous.
CREATE TABLE coverage (
    station_id  TEXT PRIMARY KEY REFERENCES stations (id),
    team_id     TEXT NOT NULL REFERENCES teams (id)
);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY,
    telegram_id   INTEGER NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    language      TEXT NOT NULL,               -- from the Telegram app at enrolment; /language
    active        INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    reachable     INTEGER NOT NULL DEFAULT 1 CHECK (reachable IN (0, 1)),  -- 0 after Forbidden
    available     INTEGER NOT NULL DEFAULT 0 CHECK (available IN (0, 1)),  -- /available, /away
    away_until    TEXT,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);

-- A role and where it applies: officers at a station, workers in a team, coordinators
-- in a team or (both NULL) at every station.
CREATE TABLE person_roles (
    person_id   INTEGER NOT NULL REFERENCES people (id),
    role        TEXT NOT NULL CHECK (role IN ('officer', 'social_worker', 'coordinator', 'admin')),
    station_id  TEXT REFERENCES stations (id),
    team_id     TEXT REFERENCES teams (id),
    granted_at  TEXT NOT NULL,
    PRIMARY KEY (person_id, role),
    CHECK (role != 'officer' OR (station_id IS NOT NULL AND team_id IS NULL)),
    CHECK (role != 'social_worker' OR (team_id IS NOT NULL AND station_id IS NULL)),
    CHECK (role != 'coordinator' OR station_id IS NULL),
    CHECK (role != 'admin' OR (station_id IS NULL AND team_id IS NULL))
);
CREATE INDEX person_roles_team ON person_roles (team_id, role);

-- Skills a worker holds (appropriate adult, domestic violence, mental health).
CREATE TABLE person_skills (
    person_id   INTEGER NOT NULL REFERENCES people (id),
    skill       TEXT NOT NULL,
    PRIMARY KEY (person_id, skill)
);

-- Only a hash of the code is kept: a copied database does not hand out live invites.
CREATE TABLE invites (
    id            INTEGER PRIMARY KEY,
    code_hash     TEXT NOT NULL UNIQUE,
    role          TEXT NOT NULL CHECK (role IN ('officer', 'social_worker', 'coordinator', 'admin')),
    station_id    TEXT REFERENCES stations (id),
    team_id       TEXT REFERENCES teams (id),
    display_name  TEXT,
    created_by    INTEGER REFERENCES people (id),   -- NULL: made with the command line
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_by       INTEGER REFERENCES people (id),
    used_at       TEXT,
    request_key   TEXT UNIQUE                       -- the chat card it was made from: one per card
);

-- Append-only: who did what, when. Never personal data in `detail`.
CREATE TABLE audit_log (
    id                 INTEGER PRIMARY KEY,
    at                 TEXT NOT NULL,
    actor_telegram_id  INTEGER,
    actor_person_id    INTEGER REFERENCES people (id),
    action             TEXT NOT NULL,
    subject            TEXT,
    detail             TEXT
);
CREATE INDEX audit_log_actor_action ON audit_log (actor_telegram_id, action, at);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

-- One incident passed from an officer to social work. `next_action_at` is when the
-- engine must next look at it (offer timeout, escalation, reminder): timers live here,
-- not in memory, so a restart loses nothing.
CREATE TABLE referrals (
    id              INTEGER PRIMARY KEY,
    ref             TEXT NOT NULL UNIQUE,
    station_id      TEXT NOT NULL REFERENCES stations (id),
    officer_id      INTEGER NOT NULL REFERENCES people (id),
    category        TEXT NOT NULL CHECK (category IN ('family_dispute', 'neighbour_dispute',
                        'rental_dispute', 'consumer_dispute', 'juvenile', 'domestic_violence',
                        'mental_health', 'elderly', 'other')),
    urgency         TEXT NOT NULL CHECK (urgency IN ('immediate', 'urgent', 'routine')),
    co_response     INTEGER NOT NULL DEFAULT 0 CHECK (co_response IN (0, 1)),
    status          TEXT NOT NULL CHECK (status IN ('offered', 'accepted', 'contacted',
                        'assessment', 'plan', 'intervention', 'closed', 'returned', 'withdrawn')),
    assignee_id     INTEGER REFERENCES people (id),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    next_action_at  TEXT
);
CREATE INDEX referrals_due ON referrals (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE INDEX referrals_assignee ON referrals (assignee_id, status);

-- Append-only history of each referral's status. The one column that may change is the
-- free-text reason (erased by retention, re-sealed on key rotation): never who did what
-- when.
CREATE TABLE referral_events (
    id            INTEGER PRIMARY KEY,
    referral_id   INTEGER NOT NULL REFERENCES referrals (id),
    at            TEXT NOT NULL,
    actor_id      INTEGER REFERENCES people (id),   -- NULL: the engine
    from_status   TEXT,
    to_status     TEXT NOT NULL,
    reason        TEXT                              -- S: typed by a person
);
CREATE INDEX referral_events_referral ON referral_events (referral_id, id);
CREATE TRIGGER referral_events_no_rewrite BEFORE UPDATE ON referral_events
WHEN NOT (NEW.id = OLD.id AND NEW.referral_id = OLD.referral_id
          AND NEW.at = OLD.at AND NEW.actor_id IS OLD.actor_id
          AND NEW.from_status IS OLD.from_status AND NEW.to_status = OLD.to_status)
BEGIN SELECT RAISE(ABORT, 'referral_events is append-only'); END;
CREATE TRIGGER referral_events_no_delete BEFORE DELETE ON referral_events
BEGIN SELECT RAISE(ABORT, 'referral_events is append-only'); END;

-- Who was offered which referral, when, and what became of the offer.
CREATE TABLE offers (
    id            INTEGER PRIMARY KEY,
    referral_id   INTEGER NOT NULL REFERENCES referrals (id),
    person_id     INTEGER NOT NULL REFERENCES people (id),
    offered_at    TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'open'
                  CHECK (state IN ('open', 'accepted', 'declined', 'taken', 'withdrawn', 'expired')),
    responded_at  TEXT,
    reason        TEXT,
    chat_id       INTEGER,
    message_id    INTEGER
);
CREATE INDEX offers_referral ON offers (referral_id, state);
CREATE INDEX offers_person ON offers (person_id, state);

-- Small facts about the deployment itself (e.g. which command menu version people have).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
