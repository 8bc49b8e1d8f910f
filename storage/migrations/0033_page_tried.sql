-- 0033: pages crash-safe end to end (issue 17). When a sender first started a request to
-- the provider for a page (kept until the page is sent or given up, never cleared by a
-- restart's release of claims): a later try first asks Twilio whether that call or SMS
-- was made, and marks the page sent with the SID it finds instead of calling again.
ALTER TABLE outbox ADD COLUMN page_tried_at TEXT;
