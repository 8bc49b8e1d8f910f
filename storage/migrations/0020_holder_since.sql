-- 0020: a case that changes hands starts its clocks again for the new holder.
-- ``holder_since`` is when the current holder got the case (accepted it, confirmed an
-- assignment, or took it over from a colleague); the arrival target and the first
-- contact reminder run from it, not from the first acceptance. Existing cases were
-- held since they were accepted.
ALTER TABLE referrals ADD COLUMN holder_since TEXT;
UPDATE referrals SET holder_since = accepted_at WHERE assignee_id IS NOT NULL;
-- The colleague's copy of a handover request (its "I take it over" card), so a request
-- withdrawn before the answer can say so on that card rather than leave a live button.
ALTER TABLE case_handovers ADD COLUMN offer_chat_id INTEGER;
ALTER TABLE case_handovers ADD COLUMN offer_message_id INTEGER;
