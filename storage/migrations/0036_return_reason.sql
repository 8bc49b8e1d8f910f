-- 0035: why a case went back to the police, as a code the reports can count (issue 18:
-- "returned to police by reason"). The worker's typed line stays in the sealed history
-- (referral_events.reason); this is only the button they chose. Cases returned before
-- this migration keep NULL, which the report counts as "unknown".
ALTER TABLE referrals ADD COLUMN return_reason TEXT CHECK (
    return_reason IN ('police_matter', 'not_social_work', 'outside_area', 'wrong_details', 'other')
);
