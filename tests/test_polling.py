"""The poller's batch: each chat in order, chats side by side, and a hung update is
stopped rather than holding up everyone else's."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from telegram import Update
from telegram.ext import ApplicationHandlerStop, MessageHandler, filters

from bot import polling
from bot.sandbox.world import world
from tests.stories import station


def _message(update_id: int, chat_id: int, text: str) -> dict[str, Any]:
    person = {"id": chat_id, "is_bot": False, "first_name": "Someone"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_764_136_800 + update_id,
            "chat": {"id": chat_id, "type": "private", "first_name": "Someone"},
            "from": person,
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_a_hung_update_is_stopped_and_other_chats_go_on(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        forever = asyncio.Event()

        async def hang(update: Update, context: object) -> None:
            await forever.wait()
            raise ApplicationHandlerStop

        w.app.add_handler(MessageHandler(filters.Regex("^/hang$"), hang), group=-2)
        monkeypatch.setattr(polling, "UPDATE_LIMIT", 0.2)
        worker = s.workers["Li Na"]
        said = len(s.officer.texts)
        updates = [
            Update.de_json(_message(9001, worker.chat_id, "/hang"), w.app.bot),
            Update.de_json(_message(9002, s.officer.chat_id, "/whoami"), w.app.bot),
        ]
        await polling.handle(w.app, updates)
        assert len(s.officer.texts) == said + 1  # the officer was answered
        assert "update 9001 took over" in caplog.text
