-- 0004: the rota. Weekly shift rules in local time (evaluated with bot/domain/rota.py in
-- the deployment's zone) and one-off overrides in UTC. Rules are replaced as a whole by
-- `referral-bot rota import`; overrides are kept across imports and never edited, so the
-- record of who covered for whom stays.

-- One weekly shift: the days it starts on and its local hours, for a team's social
-- workers or (team NULL) the coordinators' rota, which all coordinators share.
CREATE TABLE rota_shifts (
    id           INTEGER PRIMARY KEY,
    team_id      TEXT REFERENCES teams (id),
    role         TEXT NOT NULL CHECK (role IN ('social_worker', 'coordinator')),
    days         TEXT NOT NULL,                 -- "mon-fri", "sat,sun", "daily"
    hours        TEXT NOT NULL,                 -- "09:00-18:00", "22:00-08:00"
    imported_at  TEXT NOT NULL,
    CHECK ((role = 'social_worker') = (team_id IS NOT NULL))
);
CREATE INDEX rota_shifts_team_role ON rota_shifts (team_id, role);

CREATE TABLE rota_shift_people (
    shift_id   INTEGER NOT NULL REFERENCES rota_shifts (id) ON DELETE CASCADE,
    person_id  INTEGER NOT NULL REFERENCES people (id),
    PRIMARY KEY (shift_id, person_id)
);

-- "Li covers Zhou tonight": a UTC range that adds, removes or replaces one person in the
-- rota of a team's workers or (team NULL) the coordinators'. `set_by` NULL: command line.
CREATE TABLE rota_overrides (
    id           INTEGER PRIMARY KEY,
    team_id      TEXT REFERENCES teams (id),
    role         TEXT NOT NULL CHECK (role IN ('social_worker', 'coordinator')),
    starts_at    TEXT NOT NULL,
    ends_at      TEXT NOT NULL,
    change       TEXT NOT NULL CHECK (change IN ('add', 'remove', 'replace')),
    person_id    INTEGER NOT NULL REFERENCES people (id),
    replaces_id  INTEGER REFERENCES people (id),
    set_by       INTEGER REFERENCES people (id),
    set_at       TEXT NOT NULL,
    note         TEXT CHECK (note IS NULL OR length(note) <= 200),
    CHECK ((role = 'social_worker') = (team_id IS NOT NULL)),
    CHECK (ends_at > starts_at),
    CHECK ((change = 'replace') = (replaces_id IS NOT NULL)),
    CHECK (replaces_id IS NULL OR replaces_id != person_id)
);
CREATE INDEX rota_overrides_team_role ON rota_overrides (team_id, role, ends_at);
