-- 0023: crisis follow-ups. A domestic violence, mental health or self-harm case prompts
-- its holder to follow up some hours after first contact (per category, configured).
-- One row per prompt, written when the prompt falls due, so each step (prompt,
-- reminder, coordinator) is stamped once and a restart neither loses nor repeats one.
CREATE TABLE follow_ups (
    referral_id  INTEGER NOT NULL REFERENCES referrals (id),
    hours        INTEGER NOT NULL,  -- after first contact
    prompted_at  TEXT NOT NULL,
    reminded_at  TEXT,
    escalated_at TEXT,
    done_at      TEXT,
    done_by      INTEGER,  -- NULL with done_at: superseded by a later prompt, never sent
    PRIMARY KEY (referral_id, hours)
);
