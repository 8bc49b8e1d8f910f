-- 0031: "I'm on it" (issue 17). A person acknowledged a referral's pages (pressed 1 on
-- the call, or tapped the button on the escalation card): no more pages for that
-- referral go to them. One row per (referral, person): a second acknowledgement by the
-- same person changes nothing; another coordinator's is a row of its own (both are on it).
CREATE TABLE page_acknowledgements (
    referral_id      INTEGER NOT NULL REFERENCES referrals (id) ON DELETE CASCADE,
    person_id        INTEGER NOT NULL REFERENCES people (id) ON DELETE CASCADE,
    acknowledged_at  TEXT NOT NULL,
    via              TEXT NOT NULL CHECK (via IN ('call', 'telegram', 'sms', 'webhook')),
    PRIMARY KEY (referral_id, person_id)
);
