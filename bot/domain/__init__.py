"""The pure domain: no Telegram, no SQL, no clock reads; easy to test and to read."""
