-- 0037: what the accountability report (issue 18) needs to read a busy year in under
-- two seconds, and the escalation level a referral was first accepted at.
--
-- The level at the first acceptance: referrals.level is where the escalation stands
-- now, and putting a case back on offer before the coordinators (a hand-back, a
-- deactivated holder: case_handovers.back_on_offer) sets it to 2, so a referral a
-- level-0 worker took and later handed back would read as answered at level 2. The
-- trigger keeps the level the referral had at the moment it was first accepted (every
-- acceptance is the move of status to 'accepted': storage/referrals.try_accept). Cases
-- accepted before this migration take their current level unless they were put back on
-- offer since (then the level they were first accepted at was not kept: NULL, and the
-- report falls back to the current one).
ALTER TABLE referrals ADD COLUMN first_level INTEGER;
UPDATE referrals SET first_level = level
WHERE accepted_at IS NOT NULL AND NOT EXISTS (
    SELECT 1 FROM referral_events e
    WHERE e.referral_id = referrals.id AND e.to_status = 'offered' AND e.from_status <> 'offered'
);
CREATE TRIGGER referrals_first_level AFTER UPDATE OF status ON referrals
WHEN NEW.status = 'accepted' AND OLD.status <> 'accepted' AND NEW.first_level IS NULL
BEGIN
    UPDATE referrals SET first_level = NEW.level WHERE id = NEW.id;
END;

-- A period's referrals (a monthly report no longer reads every year), with the columns
-- the report counts: read from the index alone, not from rows that carry the sealed
-- personal text (some kilobytes each).
CREATE INDEX referrals_report ON referrals (
    created_at, station_id, category, urgency, level, first_level, status, outcome,
    consultation, consent, appropriate_adult_now, co_response, at_scene, arrived_at,
    questioning_at, return_reason
);
-- Each referral's first acceptance, contact and withdrawal, read from the index alone.
CREATE INDEX referral_events_report ON referral_events (referral_id, to_status, at, from_status);
-- The takings of the per-worker table: acceptances since the period began (covering:
-- the table's rows are not read).
CREATE INDEX referral_events_status ON referral_events (to_status, at, referral_id, actor_id);
CREATE INDEX offers_answered ON offers (state, responded_at, referral_id, person_id);
-- The notices that say a referral was held (a handful among every notice sent).
CREATE INDEX outbox_held ON outbox (referral_id, kind) WHERE kind IN ('held', 'held_by_coordinator');
-- The coordinators' assignments and the declines, a small share of all offers.
CREATE INDEX offers_assigned ON offers (referral_id, state) WHERE assigned_by IS NOT NULL;
CREATE INDEX offers_declined ON offers (referral_id, reason) WHERE state = 'declined';
