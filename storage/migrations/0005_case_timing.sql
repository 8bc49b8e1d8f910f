-- 0005: times kept for accountability and for reminders.
-- Appropriate adult: when the worker set off and arrived (arrival target 30 minutes).
ALTER TABLE referrals ADD COLUMN on_way_at TEXT;
ALTER TABLE referrals ADD COLUMN arrived_at TEXT;
-- Reminders already sent, so each fires once.
ALTER TABLE referrals ADD COLUMN contact_reminded_at TEXT;   -- to the worker
ALTER TABLE referrals ADD COLUMN contact_escalated_at TEXT;  -- to the coordinator
ALTER TABLE referrals ADD COLUMN stale_reminded_at TEXT;     -- no update for a week
