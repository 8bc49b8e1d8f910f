-- 0008: the messages that showed a case's details to its worker. Kept so that they can
-- be hidden again after some hours, or when the case ends, if the agency wants it
-- (privacy.hide_details_after_hours / hide_details_at_closure). No personal data here.
CREATE TABLE reveals (
    id INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals(id),
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    location_message_id INTEGER,
    sent_at TEXT NOT NULL,
    hidden_at TEXT
);
CREATE INDEX reveals_shown ON reveals(sent_at) WHERE hidden_at IS NULL;
