-- 0012: a worker who declines for "Other reason" may say why in one typed line, after
-- the decline (which passed the offer on at once). It is shown to coordinators only.
ALTER TABLE offers ADD COLUMN note TEXT;                                    -- S
