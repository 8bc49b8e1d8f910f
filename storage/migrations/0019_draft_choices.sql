-- 0019: a draft's choices apart from its personal fields. `choices` is the JSON of what
-- the officer tapped (category, urgency, safety, age band, consent, the step …), in
-- clear like the same columns of a filed referral; `data` keeps only the personal fields
-- (name, phone, place and coordinates, summary, incident number), sealed. A tap on a choice then re-seals nothing (every tap of a
-- filing re-sealed the whole draft). A draft written before this has `choices` '{}'
-- and everything in `data`, and is read so. `version` counts the row's writes: the
-- optimistic save checks it (it compared the sealed text, which is now often the same
-- text again).
ALTER TABLE drafts ADD COLUMN choices TEXT NOT NULL DEFAULT '{}';
ALTER TABLE drafts ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
