-- 0024: the case-work stages hold content. ``case_work`` keeps what a worker records
-- at each stage: the assessment's presenting needs (one row, a JSON list of checklist
-- values), the plan's goals (a row each, at most three) and each intervention contact
-- (a row each: how, and with whom). All of it is the worker's own case text: sealed,
-- never shown to the officer, and deleted with the referral's other sealed values when
-- retention erases it. ``case_reviews`` is the plan's review date, a timer the engine
-- checks (``reminded_at`` stamps the one reminder; a new date clears it).
CREATE TABLE case_work (
    id           INTEGER PRIMARY KEY,
    referral_id  INTEGER NOT NULL REFERENCES referrals (id),
    kind         TEXT NOT NULL,                     -- needs, goal, contact
    body         TEXT NOT NULL,                     -- S: needs, a goal, a contact's line
    author_id    INTEGER REFERENCES people (id),
    created_at   TEXT NOT NULL
);
CREATE INDEX case_work_referral ON case_work (referral_id, kind);
CREATE TABLE case_reviews (
    referral_id  INTEGER PRIMARY KEY REFERENCES referrals (id),
    review_at    TEXT NOT NULL,
    reminded_at  TEXT
);
CREATE INDEX case_reviews_due ON case_reviews (review_at) WHERE reminded_at IS NULL;
