-- 0035 (issue 18; named 0036 in the plan, renumbered at merge): accountability reports
-- sent in chat. A report's picture and spreadsheet wait here, bytes and all, for the
-- outbox notice that sends them (``outbox_id``), so a retry after a crash or a flood
-- wait sends the very same file; the row is deleted once its notice is sent or given
-- up (a report can name workers: it is not kept). One request row per /report card
-- (its random token), so a second tap on the card makes no second report.
CREATE TABLE report_files (
    id          INTEGER PRIMARY KEY,
    format      TEXT NOT NULL CHECK (format IN ('png', 'xlsx', 'csv')),
    filename    TEXT NOT NULL,
    content     BLOB NOT NULL,
    created_at  TEXT NOT NULL,
    outbox_id   INTEGER
);
CREATE INDEX report_files_outbox ON report_files (outbox_id);
CREATE TABLE report_requests (
    token       TEXT PRIMARY KEY,
    person_id   INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    made_at     TEXT NOT NULL
);
