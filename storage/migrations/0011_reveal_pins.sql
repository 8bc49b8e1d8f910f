-- 0011: a location pin cannot be edited into words, and Telegram lets a bot delete a
-- message only in its first 48 hours; so when details are to be hidden at closure, the
-- pin is deleted before that limit, on its own. This is when that was done.
ALTER TABLE reveals ADD COLUMN pin_hidden_at TEXT;
