-- 0022: care for the workers. When the worker asked for a debrief after a critical case
-- (once per case: a second tap tells the worker it was already asked).
ALTER TABLE referrals ADD COLUMN debrief_asked_at TEXT;
