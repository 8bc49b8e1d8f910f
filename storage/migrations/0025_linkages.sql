-- 0025: linkages are tracked, not terminal. A worker records each service the person
-- was linked to (a directory entry or a typed name) and the case stays open; some days
-- later the worker is asked whether the service happened (``follow_up_at``), then
-- reminded, then the coordinator is told, each step stamped once so a restart neither
-- loses nor repeats one. A case closes as "linked" only once every linkage is answered.
CREATE TABLE linkages (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals (id),
    resource_id  INTEGER,              -- the directory entry, NULL for a typed name
    kind         TEXT NOT NULL,        -- the resource kind (Resource)
    name         TEXT NOT NULL,        -- S: the service's name
    created_at   TEXT NOT NULL,
    follow_up_at TEXT NOT NULL,
    asked_at     TEXT,
    reminded_at  TEXT,
    escalated_at TEXT,
    answer       TEXT,                 -- yes, partly, no, declined
    answered_at  TEXT
);
CREATE INDEX linkages_referral ON linkages (referral_id);
