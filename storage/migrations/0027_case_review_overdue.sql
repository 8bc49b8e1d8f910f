-- 0027: a plan review nobody marked done reaches the coordinators. ``reviewed_at`` is
-- when the holder marked the review done ("Reviewed", a new date, or back to
-- assessment); ``escalated_at`` stamps the one notice to the coordinators when the
-- reminder (``reminded_at``) went unanswered for [reminders] review_overdue_days. A new
-- review date clears all three: a new review, a new chain.
ALTER TABLE case_reviews ADD COLUMN reviewed_at TEXT;
ALTER TABLE case_reviews ADD COLUMN escalated_at TEXT;
CREATE INDEX case_reviews_overdue ON case_reviews (reminded_at)
    WHERE reminded_at IS NOT NULL AND reviewed_at IS NULL AND escalated_at IS NULL;
