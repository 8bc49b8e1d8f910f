-- 0026: the debrief after a critical case, followed through. ``debrief_offered_at``:
-- when the coordinators were prompted to offer one (once per case, whichever way it
-- ended). ``debrief_arranged_at``/``debrief_arranged_by``: a coordinator marked the
-- worker's request arranged (one tap; the others' buttons then say so).
-- ``debrief_reminded_at``: the coordinators were reminded once that a request waits
-- (the engine's timer, see bot/services/care.py).
ALTER TABLE referrals ADD COLUMN debrief_offered_at TEXT;
ALTER TABLE referrals ADD COLUMN debrief_arranged_at TEXT;
ALTER TABLE referrals ADD COLUMN debrief_arranged_by INTEGER REFERENCES people (id);
ALTER TABLE referrals ADD COLUMN debrief_reminded_at TEXT;
