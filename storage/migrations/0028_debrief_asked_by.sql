-- 0028: who asked for the debrief. Any worker who holds or held a case may ask (not only
-- the holder of a critical case that ended), so the worker who hears "arranged" and whom
-- the reminder names is the one who asked, not whoever holds the case now.
ALTER TABLE referrals ADD COLUMN debrief_asked_by INTEGER REFERENCES people (id);
