-- 0007: retention. Personal fields are erased on schedule; the referral row, its
-- history and the counts stay (anonymous). A legal hold stops the erasure.
ALTER TABLE referrals ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0 CHECK (legal_hold IN (0, 1));
ALTER TABLE referrals ADD COLUMN erased_at TEXT;
