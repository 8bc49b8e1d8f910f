-- 0030: paging beyond Telegram (issue 17). A person's contact methods: a voice call or
-- an SMS to a phone number through Twilio, or a post to the agency's own gateway, where
-- the address is the person's id there. A method the provider refused is marked failing
-- (failing_error names the provider's code, never the number) until fixed.
CREATE TABLE contact_methods (
    id               INTEGER PRIMARY KEY,
    person_id        INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    kind             TEXT NOT NULL CHECK (kind IN ('voice', 'sms', 'webhook')),
    address          TEXT NOT NULL,   -- S: an E.164 number, or the gateway's id for the person
    verified_at      TEXT,
    failing_since    TEXT,
    failing_error    TEXT,
    created_at       TEXT NOT NULL
);
CREATE INDEX contact_methods_person ON contact_methods (person_id);
-- A page is an outbox row of another channel: written in the transaction of the change
-- that causes it, claimed (leased) by the page sender, sent once. The Telegram sender
-- takes only channel 'telegram' (every row written before this migration).
ALTER TABLE outbox ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
ALTER TABLE outbox ADD COLUMN contact_method_id INTEGER REFERENCES contact_methods (id);
-- The unguessable token in the call's keypress URL (not the row id), the provider's id
-- for what it accepted (a Twilio call or message SID), and the acknowledgement.
ALTER TABLE outbox ADD COLUMN page_token TEXT;
ALTER TABLE outbox ADD COLUMN provider_id TEXT;
ALTER TABLE outbox ADD COLUMN acknowledged_at TEXT;
ALTER TABLE outbox ADD COLUMN acknowledged_via TEXT;
CREATE UNIQUE INDEX outbox_page_token ON outbox (page_token) WHERE page_token IS NOT NULL;
CREATE INDEX outbox_pages_pending ON outbox (next_attempt_at)
    WHERE sent_at IS NULL AND dead_at IS NULL AND channel <> 'telegram';
-- The rate limit asks when a person was last paged on a channel.
CREATE INDEX outbox_pages_sent ON outbox (recipient_id, channel, sent_at)
    WHERE channel <> 'telegram' AND sent_at IS NOT NULL;
