"""An administrator gives a coordinator an id at the agency's gateway (issue 17).

``referral-bot paging gateway set|remove`` and ``paging list`` on the command line,
while the bot runs against the fake Bot API, a fake Twilio and a fake gateway on
loopback, on the fake clock: the id is verified at once, the coordinator's ``/phone``
says the gateway is on (never the id), a night escalation pages the gateway for her,
and nothing the command line prints or the audit keeps carries the id.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from tornado.httpserver import HTTPServer

from bot import cli
from bot.paging import inbound
from bot.sandbox.fake_gateway import FakeGateway
from bot.sandbox.world import world
from bot.services import paging
from handlers.paging import names
from storage import audit, people
from tests.test_night_paging import (
    CHEN_NUMBER,
    LEVEL_1,
    LEVEL_2,
    THURSDAY_2340,
    Night,
    filed,
    providers,
)

SECRET = "gateway-shared-secret-for-tests"
GATEWAY_ID = "dispatch-coord-4711"
OTHER_ID = "dispatch-coord-9000"


@dataclass
class GatewayNight:
    night: Night
    gateway: FakeGateway
    config_path: Path
    capsys: pytest.CaptureFixture[str]
    printed: list[str] = field(default_factory=list)

    async def cli(self, *args: str) -> tuple[int, str]:
        """``referral-bot paging ARGS`` on the bot's database; (exit code, all it printed)."""
        *head, last = args
        argv = ["paging", *head, "--config", str(self.config_path), last]
        if args == ("list",):
            argv = ["paging", "list", "--config", str(self.config_path)]
        self.capsys.readouterr()
        code = await cli.amain(argv, clock=self.night.w.clock)
        printed = self.capsys.readouterr()
        self.printed.append(printed.out + printed.err)
        return code, printed.out + printed.err


@asynccontextmanager
async def gateway_night(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> AsyncIterator[GatewayNight]:
    """test_night_paging's night, with the agency's gateway configured as well."""
    async with providers(config_path, monkeypatch, THURSDAY_2340) as p:
        gateway = FakeGateway(SECRET, p.clock)
        await gateway.start()
        text = config_path.read_text(encoding="utf-8")
        config_path.write_text(
            text.replace("[paging]\n", f'[paging]\nwebhook_url = "{gateway.url}"\n', 1),
            encoding="utf-8",
        )
        monkeypatch.setenv("REFERRAL_BOT_PAGING__WEBHOOK_SECRET", SECRET)
        try:
            async with world(config_path, clock=p.clock) as w:
                server = HTTPServer(inbound.application(w.services, names(w.services.config)))
                server.add_sockets(p.sockets)
                try:
                    yield GatewayNight(await filed(w, p.twilio, "en"), gateway, config_path, capsys)
                finally:
                    server.stop()
                    await server.close_all_connections()
        finally:
            await gateway.close()


async def test_an_administrator_sets_lists_and_removes_a_gateway_id(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with gateway_night(config_path, monkeypatch, capsys) as g:
        code, said = await g.cli("gateway", "set", "999", GATEWAY_ID)
        assert code == 1 and "nobody with Telegram id 999" in said
        code, said = await g.cli("gateway", "set", "300", "not an id!")
        assert code == 1 and "not a gateway id" in said

        code, said = await g.cli("gateway", "set", "300", GATEWAY_ID)
        assert code == 0, said
        assert "Coord Chen (300)" in said and "verified" in said

        await g.night.chen.send("/phone")
        assert "Agency gateway: on" in g.night.chen.last.text
        assert GATEWAY_ID not in g.night.chen.last.text

        code, said = await g.cli("list")
        assert code == 0, said
        chen = next(line for line in said.splitlines() if line.startswith("Coord Chen (300)"))
        assert "gateway verified" in chen and "voice ••••4567 verified" in chen
        assert "Night Boss (301): sms ••••4321 verified" in said

        # Set again: the one id is replaced, and a refusal by the gateway is cleared.
        reader = g.night.w.services.db.reader
        chen_person = await people.by_telegram_id(reader, 300)
        assert chen_person is not None
        hooks = [
            m
            for m in await paging.contact_methods(g.night.w.services, chen_person.id)
            if m.kind.value == "webhook"
        ]
        assert await paging.mark_failing(g.night.w.services, hooks[0].id, "http 404")
        await g.night.chen.send("/phone")
        assert "Agency gateway: not working" in g.night.chen.last.text
        code, said = await g.cli("list")
        assert "gateway not working (http 404)" in said
        assert (await g.cli("gateway", "set", "300", OTHER_ID))[0] == 0
        hooks = [
            m
            for m in await paging.contact_methods(g.night.w.services, chen_person.id)
            if m.kind.value == "webhook"
        ]
        assert [(m.address, m.usable) for m in hooks] == [(OTHER_ID, True)]

        code, said = await g.cli("gateway", "remove", "999")
        assert code == 1 and "nobody with Telegram id 999" in said
        code, said = await g.cli("gateway", "remove", "300")
        assert code == 0 and "no longer paged through the gateway" in said
        code, said = await g.cli("gateway", "remove", "300")
        assert code == 0 and "had no gateway id" in said
        await g.night.chen.send("/phone")
        assert "Agency gateway: off" in g.night.chen.last.text

        code, said = await g.cli("list")
        assert "gateway" not in said.split("Coord Chen (300)")[1].splitlines()[0]
        entries = await audit.entries(reader)
        gateway_entries = [e for e in entries if e.action.startswith("paging.gateway")]
        assert [e.action for e in gateway_entries] == [
            "paging.gateway_set",
            "paging.gateway_set",
            "paging.gateway_removed",
        ]
        for entry in entries:
            for secret in (GATEWAY_ID, OTHER_ID, CHEN_NUMBER):
                assert secret not in f"{entry.subject} {entry.detail}"
        for said in g.printed:  # the command line never prints an id or a whole number
            for secret in (GATEWAY_ID, OTHER_ID, CHEN_NUMBER):
                assert secret not in said


async def test_the_night_escalation_pages_the_gateway_id_an_administrator_set(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with gateway_night(config_path, monkeypatch, capsys) as g:
        code, said = await g.cli("gateway", "set", "300", GATEWAY_ID)
        assert code == 0 and GATEWAY_ID not in said
        await g.night.at(LEVEL_1)
        await g.night.at(LEVEL_2 - timedelta(minutes=1))
        assert g.gateway.log == []
        await g.night.at(LEVEL_2)
        assert [r.payload["address"] for r in g.gateway.log] == [GATEWAY_ID]
        assert g.gateway.log[0].payload["reference"] == g.night.referral.ref
        assert len(g.night.pages_to(CHEN_NUMBER)) == 2  # her call and SMS as before
