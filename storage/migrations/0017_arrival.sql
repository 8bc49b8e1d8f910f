-- 0017: arrival on scene for every referral a worker attends in person, and the
-- appropriate adult's request as the law works. Nothing here names anyone.
-- The officer asked for a worker at the scene (besides a co-response, which always is).
ALTER TABLE referrals ADD COLUMN at_scene INTEGER NOT NULL DEFAULT 0 CHECK (at_scene IN (0, 1));
-- "On my way": the estimate the worker chose, in minutes from on_way_at.
ALTER TABLE referrals ADD COLUMN eta_minutes INTEGER;
-- The arrival target passed: reminders already sent, so each fires once.
ALTER TABLE referrals ADD COLUMN arrival_reminded_at TEXT;   -- to the worker
ALTER TABLE referrals ADD COLUMN arrival_escalated_at TEXT;  -- to the coordinator
-- The officer's word once the worker arrived: police may leave, or stay.
ALTER TABLE referrals ADD COLUMN police_answer TEXT CHECK (police_answer IN ('leave', 'stay'));
ALTER TABLE referrals ADD COLUMN police_answered_at TEXT;
-- The appropriate adult's request: a suspect (讯问) or a victim or witness (询问), when
-- (NULL: now), the guardian present, absent or unreachable; and when questioning ended.
ALTER TABLE referrals ADD COLUMN questioning TEXT CHECK (questioning IN ('suspect', 'witness'));
ALTER TABLE referrals ADD COLUMN questioning_at TEXT;
ALTER TABLE referrals ADD COLUMN guardian TEXT
    CHECK (guardian IN ('present', 'absent', 'unreachable'));
ALTER TABLE referrals ADD COLUMN questioning_ended_at TEXT;
