-- 0010: messages taken, for a day. After a crash Telegram can hand the same updates
-- over again; a typed message already taken is not applied twice. (Not a per-chat
-- high-water mark: a new bot token starts every chat's message ids again from 1.)
CREATE TABLE seen_messages (
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    sent_at     TEXT NOT NULL,     -- the message's own date: a replay carries the same
    seen_at     TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id, sent_at)
);
