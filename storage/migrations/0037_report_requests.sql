-- 0037 (issue 18, fix round; renumbered at merge): a /report tap no longer makes the
-- report inside the update. The tap writes a request row (who, the period, the
-- stations, the language, the card) and returns; the report is made outside the
-- update, and a request a crash left pending (``done_at`` NULL) is made after the
-- restart. Rows written before this migration made their report inside the tap: done.
ALTER TABLE report_requests ADD COLUMN start_day TEXT;
ALTER TABLE report_requests ADD COLUMN end_day TEXT;
ALTER TABLE report_requests ADD COLUMN stations TEXT NOT NULL DEFAULT '';
ALTER TABLE report_requests ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
ALTER TABLE report_requests ADD COLUMN message_id INTEGER;
ALTER TABLE report_requests ADD COLUMN done_at TEXT;
UPDATE report_requests SET done_at = made_at;
CREATE INDEX report_requests_pending ON report_requests (person_id) WHERE done_at IS NULL;
