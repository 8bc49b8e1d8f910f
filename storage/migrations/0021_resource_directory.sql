-- 0021: the directory of local resources (居委会/社区, 妇联, shelters, legal aid, …) a
-- worker links a person to, kept by administrators with `referral-bot directory import`.
-- ``key`` is the file's own id for the row, so importing a corrected file updates the
-- same entries; an entry the new file leaves out is marked inactive, never deleted.
-- ``stations`` is a space-separated list of station ids, or '*' for every station.
-- Organisations' public contacts, not personal data: nothing here is sealed.
CREATE TABLE resources (
    id            INTEGER PRIMARY KEY,
    key           TEXT NOT NULL UNIQUE,
    type          TEXT NOT NULL,
    stations      TEXT NOT NULL,
    name_en       TEXT NOT NULL,
    name_zh       TEXT NOT NULL,
    name_zh_hant  TEXT NOT NULL,
    contact       TEXT NOT NULL DEFAULT '',
    hours         TEXT NOT NULL DEFAULT '',
    languages     TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    active        INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX resources_type ON resources (type, active);
