"""Webhook mode: posts carrying the secret token are handled (and answered only after),
anything else is refused; the webhook is set with the secret."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx

from bot import webhook
from bot.sandbox.world import world
from tests.stories import OFFICER_ID, station
from tests.test_cli import run_cli

SECRET = "s3cret-token_for-tests"
URL = "https://bot.example.org/telegram/updates"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _whoami(update_id: int, message_id: int) -> dict[str, object]:
    person = {"id": OFFICER_ID, "is_bot": False, "first_name": "Officer Wang"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": message_id,
            "date": 1_764_136_800,
            "chat": {"id": OFFICER_ID, "type": "private", "first_name": "Officer Wang"},
            "from": person,
            "text": "/whoami",
            "entities": [{"type": "bot_command", "offset": 0, "length": 7}],
        },
    }


async def test_only_posts_with_the_secret_are_handled(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        port = _free_port()
        stop, ready = asyncio.Event(), asyncio.Event()
        serving = asyncio.create_task(
            webhook.serve(
                w.app,
                stop,
                ["message", "callback_query"],
                url=URL,
                secret=SECRET,
                listen="127.0.0.1",
                port=port,
                ready=ready,
            )
        )
        await ready.wait()
        assert w.telegram.webhook == {"url": URL, "secret_token": SECRET}
        target = f"http://127.0.0.1:{port}/telegram/updates"
        header = webhook.SECRET_HEADER
        said = len(s.officer.texts)
        async with httpx.AsyncClient() as client:
            forged = await client.post(target, json=_whoami(9001, 900), headers={header: "x"})
            missing = await client.post(target, json=_whoami(9002, 901))
            assert (forged.status_code, missing.status_code) == (403, 403)
            assert len(s.officer.texts) == said

            real = await client.post(target, json=_whoami(9003, 902), headers={header: SECRET})
            assert real.status_code == 200
            assert len(s.officer.texts) == said + 1  # handled before the answer
            assert "Officer" in s.officer.last.plain
            again = await client.post(target, json=_whoami(9003, 902), headers={header: SECRET})
            assert again.status_code == 200 and len(s.officer.texts) == said + 1
        stop.set()
        await serving


def test_webhook_settings_are_checked_before_anything_starts() -> None:
    for url, secret, problem in [
        (None, SECRET, "webhook_url"),
        (URL, None, "WEBHOOK_SECRET"),
        (URL, "short", "16-256"),
    ]:
        try:
            webhook.check(url, secret)
        except webhook.WebhookError as exc:
            assert problem in str(exc)
        else:
            raise AssertionError(f"{url!r}, {secret!r} passed")
    assert webhook.check(URL, SECRET) == ("/telegram/updates", SECRET)


def test_run_webhook_without_settings_says_what_to_set(config_path: Path) -> None:
    result = run_cli(
        "run",
        "--webhook",
        "--config",
        str(config_path),
        env={"REFERRAL_BOT_TELEGRAM__TOKEN": "1:x"},
    )
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "referral-bot: set telegram.webhook_url (https://…) to use --webhook"
    )
