-- 0009: notices to one person go out in the order written; this finds the earlier ones
-- still waiting for a recipient quickly.
CREATE INDEX outbox_recipient_pending ON outbox (recipient_id, id)
    WHERE sent_at IS NULL AND dead_at IS NULL;
