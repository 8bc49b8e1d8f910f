-- 0015: a coordinator's assignment is an offer the assignee confirms ("I take it") or
-- refuses ("I can't", with a typed reason kept in the sealed ``note``). Until then the
-- referral stays on offer and its escalation clock runs. The offer is a worker's offer
-- (kind 'worker', whose CHECK stays as it is); this column names the coordinator who
-- made it, which makes it an assignment.
ALTER TABLE offers ADD COLUMN assigned_by INTEGER REFERENCES people (id);
