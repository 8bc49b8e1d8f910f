-- 0029: a debrief is offered once per case AND worker, not once per case: a critical
-- case handed back by one worker and closed by another is offered to both, and the
-- morning handover names the worker each offer was for (the holder is gone after a
-- hand-back, or is the colleague who took it since). A reopened case closed again by
-- the same worker still prompts once (the UNIQUE pair). Erased with the case by
-- retention (storage/sealing.py ERASED_WITH_CASE): which worker needed a debrief after
-- which case is not kept past the case.
CREATE TABLE debrief_offers (
    id          INTEGER PRIMARY KEY,
    referral_id INTEGER NOT NULL REFERENCES referrals (id),
    person_id   INTEGER NOT NULL REFERENCES people (id),
    offered_at  TEXT NOT NULL,
    UNIQUE (referral_id, person_id)
);
-- The offers stamped on the case so far: for its holder, or (handed back since) for the
-- last worker who took it.
INSERT OR IGNORE INTO debrief_offers (referral_id, person_id, offered_at)
SELECT id, worker, debrief_offered_at FROM (
    SELECT r.id, r.debrief_offered_at, COALESCE(r.assignee_id, (
        SELECT who FROM (
            SELECT person_id AS who, responded_at AS at FROM offers
            WHERE referral_id = r.id AND state = 'accepted'
            UNION ALL SELECT to_id, responded_at FROM case_handovers
            WHERE referral_id = r.id AND state = 'taken'
        ) ORDER BY at DESC LIMIT 1
    )) AS worker
    FROM referrals AS r
    WHERE r.debrief_offered_at IS NOT NULL AND r.erased_at IS NULL
) WHERE worker IS NOT NULL;
ALTER TABLE referrals DROP COLUMN debrief_offered_at;
