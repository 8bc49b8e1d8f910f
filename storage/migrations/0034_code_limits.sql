-- 0034: what the limits of /phone's verification codes count, kept when a number is
-- removed (issue 17's review: Add → Remove → Add used to start the count again, so one
-- person could send unlimited code SMS, paid and maybe to a stranger's number, and get
-- unlimited guesses). One row per code sent and per wrong code typed. The number is
-- never stored: ``number_key`` is an HMAC of its E.164 form keyed with this
-- deployment's own random secret (meta ``phone_limit_key``), enough to count the codes
-- sent to one number by everyone; rows older than a day are deleted as new ones come,
-- since no limit looks further back. They go with the person.
CREATE TABLE code_events (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    event       TEXT NOT NULL CHECK (event IN ('sent', 'wrong')),
    number_key  TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX code_events_person ON code_events (person_id, event, at);
CREATE INDEX code_events_number ON code_events (number_key, event, at);
CREATE INDEX code_events_at ON code_events (at);
INSERT OR IGNORE INTO meta (key, value) VALUES ('phone_limit_key', lower(hex(randomblob(32))));
