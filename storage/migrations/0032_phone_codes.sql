-- 0032: the codes that prove a person holds the number they typed on /phone (issue 17).
-- Never the code itself: an HMAC of it keyed with a random salt of its own. A code lives
-- ten minutes and allows five tries; the rows stay (they are the rate limit of new codes)
-- and go with the contact method or the person.
CREATE TABLE phone_codes (
    id          INTEGER PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    method_id   INTEGER NOT NULL REFERENCES contact_methods (id) ON DELETE CASCADE,
    salt        TEXT NOT NULL,
    code_hash   TEXT NOT NULL,
    tries_left  INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX phone_codes_person ON phone_codes (person_id, created_at);
CREATE INDEX phone_codes_method ON phone_codes (method_id);
