-- 0003: escalation. The plan is frozen onto each referral when it is filed; the engine
-- advances `level` when `next_action_at` falls due (timers live here, not in memory).

ALTER TABLE referrals ADD COLUMN plan TEXT;              -- JSON, see bot/domain/escalation.py
ALTER TABLE referrals ADD COLUMN level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE referrals ADD COLUMN rounds INTEGER NOT NULL DEFAULT 0;  -- repeats of the last level
ALTER TABLE referrals ADD COLUMN held INTEGER NOT NULL DEFAULT 0;    -- waiting for the morning

-- Coordinators get escalation cards rather than plain offers.
ALTER TABLE offers ADD COLUMN kind TEXT NOT NULL DEFAULT 'worker'
    CHECK (kind IN ('worker', 'coordinator'));
