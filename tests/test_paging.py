"""Pages by voice call, SMS and the agency's gateway, against local fake providers.

A page is an outbox row of its own channel, sent once by the page sender; these tests
play what the coordinator's phone (or the gateway) receives, on the fake clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import httpx
import pytest
from pydantic import SecretStr
from tornado.netutil import bind_sockets

from bot.app import page_sender
from bot.cli import serving
from bot.clock import FakeClock
from bot.config import PagingSettings, load_config
from bot.domain.paging import Channel, ContactKind, ContactMethod, Page, PageContent
from bot.paging import inbound, twiml
from bot.paging import sender as page_sending
from bot.paging.sender import LEASE, PageSender, backoff
from bot.paging.text import page_text
from bot.paging.twilio import signature, valid_signature
from bot.sandbox.fake_gateway import FakeGateway
from bot.sandbox.fake_twilio import FakeTwilio
from bot.sandbox.world import world
from bot.services import Services, paging
from bot.services import outbox as outbox_service
from handlers.paging import names
from storage import directory, outbox, people, referrals
from storage import pages as pages_table
from storage.db import Database
from storage.sealing import Sealer, new_key
from tests.stories import CANARY_NAME, CANARY_PHONE, CANARY_PLACE, CANARY_SUMMARY, enrol

SID = "AC" + "0123456789abcdef" * 2
TOKEN = "twilio-auth-token-for-tests"
SECRET = "gateway-shared-secret-for-tests"
FROM = "+85230000000"
NUMBER = "+85291234567"  # the coordinator's mobile
GATEWAY_ID = "coord-17"
CANARIES = (CANARY_NAME, CANARY_PHONE, CANARY_PLACE, "CanarySummary")


@dataclass
class Rig:
    services: Services
    clock: FakeClock
    twilio: FakeTwilio
    gateway: FakeGateway
    sender: PageSender
    public_url: str
    path: Path
    coordinator: int
    referral: int
    refused: list[tuple[Page, ContactMethod]]

    async def method(self, kind: ContactKind, address: str) -> ContactMethod:
        method = await paging.add_contact_method(self.services, self.coordinator, kind, address)
        assert await paging.verify_contact_method(self.services, method.id)
        return method

    async def page(self, method: ContactMethod) -> int:
        async with self.services.db.write() as tx:
            return await paging.page(
                tx,
                self.services,
                method,
                PageContent("R-0042", "domestic_violence", "immediate"),
                referral_id=self.referral,
            )

    async def row(self, page_id: int) -> dict[str, object]:
        async with self.services.db.reader.execute(
            "SELECT * FROM outbox WHERE id = ?", (page_id,)
        ) as cursor:
            found = await cursor.fetchone()
        assert found is not None
        return dict(found)


@asynccontextmanager
async def rig(config_path: Path, *, language: str = "en", rate: int = 60) -> AsyncIterator[Rig]:
    clock = FakeClock()
    twilio, gateway = FakeTwilio(SID, TOKEN, clock), FakeGateway(SECRET, clock)
    await twilio.start()
    await gateway.start()
    sockets = bind_sockets(0, "127.0.0.1")
    public_url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}"
    settings = PagingSettings(
        base_url=twilio.base_url,
        account_sid=SID,
        auth_token=SecretStr(TOKEN),
        from_number=FROM,
        webhook_url=gateway.url,
        webhook_secret=SecretStr(SECRET),
        public_url=public_url,
        rate_limit_seconds=rate,
        timeout_seconds=0.3,
    )
    config = load_config(config_path).model_copy(update={"paging": settings})
    path = config_path.parent / "bot.sqlite3"
    db = await Database.open(path, sealer=Sealer([new_key()]))
    services = Services(config=config, db=db, clock=clock)
    server = inbound.server(services, names(config))
    server.add_sockets(sockets)
    sender = page_sender(services)
    refused: list[tuple[Page, ContactMethod]] = []

    async def told(page: Page, method: ContactMethod) -> None:
        refused.append((page, method))

    sender.on_refused = told
    async with db.write() as tx:
        await directory.sync(
            tx, stations=[directory.Unit("tianping", "天平路", "Tianping")], teams=[], coverage={}
        )
        coordinator = await people.insert(
            tx, telegram_id=500, display_name="Coordinator Li", language=language, now=clock.now()
        )
        referral = await referrals.insert(
            tx,
            now=clock.now(),
            ref="R-0042",
            station_id="tianping",
            officer_id=coordinator,
            category="domestic_violence",
            urgency="immediate",
            status="offered",
            person_name=CANARY_NAME,
            person_phone=CANARY_PHONE,
            place=CANARY_PLACE,
            summary=CANARY_SUMMARY,
        )
    try:
        yield Rig(
            services,
            clock,
            twilio,
            gateway,
            sender,
            public_url,
            path,
            coordinator,
            referral,
            refused,
        )
    finally:
        await sender.close()
        server.stop()
        await server.close_all_connections()
        await twilio.close()
        await gateway.close()
        await db.close()


# -- every channel ------------------------------------------------------------------------


async def test_a_page_of_each_channel_reaches_its_provider_once(config_path: Path) -> None:
    async with rig(config_path) as r:
        call = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        sms = await r.page(await r.method(ContactKind.SMS, NUMBER))
        hook = await r.page(await r.method(ContactKind.WEBHOOK, GATEWAY_ID))
        await r.sender.settle()
        await r.sender.settle()  # nothing more to send
        said = "Referral R-0042 needs a coordinator: Domestic violence, Immediate."
        assert [c.to for c in r.twilio.calls] == [NUMBER]
        assert said in r.twilio.calls[0].spoken
        # The reference is said letter by letter (SSML inside <Say>), not "R minus 42".
        assert '<say-as interpret-as="characters">R-0042</say-as>' in r.twilio.calls[0].body
        assert [m.to for m in r.twilio.messages] == [NUMBER]
        assert r.twilio.messages[0].body.startswith(said)
        assert len(r.gateway.log) == 1
        posted = r.gateway.log[0].payload
        assert posted["address"] == GATEWAY_ID and posted["reference"] == "R-0042"
        assert posted["urgency"] == "Immediate" and posted["text"].startswith(said)
        for page_id, sid in ((call, r.twilio.calls[0].sid), (sms, r.twilio.messages[0].sid)):
            row = await r.row(page_id)
            assert row["sent_at"] and row["provider_id"] == sid
        assert (await r.row(hook))["sent_at"]


async def test_the_telegram_sender_never_takes_a_page(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.SMS, NUMBER))
        now = r.clock.now()
        assert await outbox.due(r.services.db.reader, now, now - LEASE, now) == []
        assert await outbox.next_attempt(r.services.db.reader) is None
        async with r.services.db.statement() as conn:
            assert not await outbox.claim(conn, page_id, now, now - LEASE, now)
        assert await outbox_service.due(r.services) == []


async def test_a_page_planned_for_later_is_not_brought_forward_by_a_restart(
    config_path: Path,
) -> None:
    async with rig(config_path) as r:
        method = await r.method(ContactKind.SMS, NUMBER)
        async with r.services.db.write() as tx:
            await paging.page(
                tx,
                r.services,
                method,
                PageContent("R-0042", "domestic_violence", "immediate"),
                referral_id=r.referral,
                at=r.clock.now() + timedelta(minutes=10),
            )
        await outbox_service.release(r.services)  # what a start does
        await r.sender.settle()
        assert r.twilio.messages == []
        r.clock.advance(timedelta(minutes=10))
        await r.sender.settle()
        assert len(r.twilio.messages) == 1


# -- failures -----------------------------------------------------------------------------


async def test_two_server_errors_then_success_sends_the_call_once(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        r.twilio.fail_next(503, times=2)
        await r.sender.settle()
        assert r.twilio.calls == []
        r.clock.advance(backoff(0))
        await r.sender.settle()
        assert r.twilio.calls == []
        r.clock.advance(backoff(1))
        await r.sender.settle()
        r.clock.advance(backoff(5))
        await r.sender.settle()
        assert len(r.twilio.calls) == 1 and r.twilio.requests == 3
        assert (await r.row(page_id))["attempts"] == 3
        assert backoff(0) < backoff(1) and backoff(30) == page_sending.MAX_RETRY


async def test_a_timeout_is_tried_again_and_the_sms_goes_once(config_path: Path) -> None:
    async with rig(config_path) as r:
        await r.page(await r.method(ContactKind.SMS, NUMBER))
        r.twilio.hang_next()
        await r.sender.settle()
        assert r.twilio.messages == []
        r.clock.advance(backoff(0))
        await r.sender.settle()
        r.clock.advance(timedelta(hours=1))
        await r.sender.settle()
        assert len(r.twilio.messages) == 1


async def test_the_gateway_is_retried_after_a_server_error(config_path: Path) -> None:
    async with rig(config_path) as r:
        await r.page(await r.method(ContactKind.WEBHOOK, GATEWAY_ID))
        r.gateway.fail_next(502)
        await r.sender.settle()
        assert r.gateway.log == []
        r.clock.advance(backoff(0))
        await r.sender.settle()
        assert len(r.gateway.log) == 1


async def test_a_refused_number_marks_the_method_failing_and_the_page_dead(
    config_path: Path,
) -> None:
    async with rig(config_path) as r:
        method = await r.method(ContactKind.SMS, NUMBER)
        page_id = await r.page(method)
        r.twilio.refuse(NUMBER, 21614)
        await r.sender.settle()
        row = await r.row(page_id)
        assert row["dead_at"] and row["sent_at"] is None and row["last_error"] == "twilio 21614"
        (failing,) = await paging.contact_methods(r.services, r.coordinator)
        assert failing.failing_since is not None and failing.failing_error == "twilio 21614"
        assert not failing.usable
        assert [(p.id, m.id) for p, m in r.refused] == [(page_id, method.id)]
        # Another page to the same method is not tried (and tells nobody again).
        second = await r.page(method)
        await r.sender.settle()
        assert (await r.row(second))["dead_at"] and r.twilio.requests == 1
        assert len(r.refused) == 1
        await paging.clear_failing(r.services, method.id)
        (fixed,) = await paging.contact_methods(r.services, r.coordinator)
        assert fixed.usable


async def test_a_gateway_that_does_not_know_the_person_marks_the_method_failing(
    config_path: Path,
) -> None:
    async with rig(config_path) as r:
        await r.page(await r.method(ContactKind.WEBHOOK, GATEWAY_ID))
        r.gateway.refuse(GATEWAY_ID)
        await r.sender.settle()
        (failing,) = await paging.contact_methods(r.services, r.coordinator)
        assert failing.failing_error == "gateway http 422" and len(r.refused) == 1


# -- never twice --------------------------------------------------------------------------


async def test_a_page_marked_sent_is_not_sent_again_by_the_next_run(config_path: Path) -> None:
    async with rig(config_path) as r:
        await r.page(await r.method(ContactKind.VOICE, NUMBER))
        await r.sender.settle()
        r.clock.advance(LEASE * 3)
        await outbox_service.release(r.services)
        second = page_sender(r.services)  # the next run, on the same database
        try:
            await second.settle()
        finally:
            await second.close()
        assert len(r.twilio.calls) == 1


async def test_a_page_claimed_by_a_run_that_died_is_sent_by_the_next(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.SMS, NUMBER))
        now = r.clock.now()
        async with r.services.db.statement() as conn:  # claimed, then killed
            assert await pages_table.claim(conn, page_id, now, now - LEASE)
        await r.sender.settle()
        assert r.twilio.messages == []  # its lease holds
        r.clock.advance(LEASE + timedelta(seconds=1))
        await r.sender.settle()
        assert len(r.twilio.messages) == 1


async def test_a_crash_after_the_gateway_took_a_page_repeats_it_with_the_same_key(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The documented window: the provider accepted, the row was not yet marked sent.
    The page goes again after the lease, with the same Idempotency-Key, and the
    gateway drops the repeat."""
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.WEBHOOK, GATEWAY_ID))

        async def killed(*args: object, **kwargs: object) -> None:
            raise RuntimeError("killed")

        with monkeypatch.context() as patch:
            patch.setattr(pages_table, "mark_sent", killed)
            await r.sender.settle()
        assert len(r.gateway.log) == 1 and (await r.row(page_id))["sent_at"] is None
        r.clock.advance(LEASE + timedelta(seconds=1))
        await r.sender.settle()
        assert len(r.gateway.log) == 1 and r.gateway.repeats == 1
        assert (await r.row(page_id))["sent_at"]


@pytest.mark.parametrize("kind", [ContactKind.VOICE, ContactKind.SMS])
async def test_a_page_twilio_made_before_a_crash_is_found_and_not_made_again(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, kind: ContactKind
) -> None:
    """Twilio accepted the call (or SMS), the bot died before marking the row: the next
    run asks Twilio's list, finds it, and marks the page sent with its SID: the
    coordinator's phone rings once."""
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(kind, NUMBER))

        async def killed(*args: object, **kwargs: object) -> None:
            raise RuntimeError("killed")

        with monkeypatch.context() as patch:
            patch.setattr(pages_table, "mark_sent", killed)
            await r.sender.settle()
        assert len(r.twilio.log) == 1 and (await r.row(page_id))["sent_at"] is None
        r.clock.advance(LEASE + timedelta(seconds=1))
        await outbox_service.release(r.services)  # the next run starts
        second = page_sender(r.services)
        try:
            await second.settle()
        finally:
            await second.close()
        assert len(r.twilio.log) == 1 and r.twilio.lists == 1
        row = await r.row(page_id)
        assert row["sent_at"] and row["provider_id"] == r.twilio.log[0].sid


async def test_a_page_claimed_that_never_reached_twilio_is_sent_once(config_path: Path) -> None:
    """Claimed and about to be sent, then killed before Twilio had it: the next run asks,
    finds nothing, and calls, once; asking again later finds that call as this page's."""
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        now = r.clock.now()
        async with r.services.db.statement() as conn:  # claimed, stamped, then killed
            assert await pages_table.claim(conn, page_id, now, now - LEASE)
            await pages_table.trying(conn, page_id, now)
        r.clock.advance(LEASE + timedelta(seconds=1))
        await r.sender.settle()
        assert len(r.twilio.calls) == 1 and r.twilio.lists == 1
        assert (await r.row(page_id))["provider_id"] == r.twilio.calls[0].sid
        r.clock.advance(LEASE * 3)
        await r.sender.settle()
        assert len(r.twilio.calls) == 1


async def test_reconciling_waits_until_twilio_can_list_the_call(config_path: Path) -> None:
    """Started again at once after a kill: the page is not sent blind and not looked
    for yet (Twilio lists a call once dialled); a minute on it is, and goes once."""
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        now = r.clock.now()
        async with r.services.db.statement() as conn:
            assert await pages_table.claim(conn, page_id, now, now - LEASE)
            await pages_table.trying(conn, page_id, now)
        await outbox_service.release(r.services)  # restarted straight away
        await r.sender.settle()
        assert r.twilio.calls == [] and r.twilio.lists == 0
        r.clock.advance(page_sending.RECONCILE_AFTER)
        await r.sender.settle()
        assert len(r.twilio.calls) == 1 and r.twilio.lists == 1


async def test_an_earlier_pages_call_is_not_taken_for_this_one(config_path: Path) -> None:
    """The person was called for an earlier page (its SID on that row); this page's
    request died before Twilio: that earlier call is not this page's, so it is made."""
    async with rig(config_path, rate=0) as r:
        method = await r.method(ContactKind.VOICE, NUMBER)
        await r.page(method)
        await r.sender.settle()
        assert len(r.twilio.calls) == 1
        page_id = await r.page(method)
        now = r.clock.now()
        async with r.services.db.statement() as conn:
            assert await pages_table.claim(conn, page_id, now, now - LEASE)
            await pages_table.trying(conn, page_id, now)
        r.clock.advance(LEASE + timedelta(seconds=1))
        await r.sender.settle()
        assert len(r.twilio.calls) == 2
        assert (await r.row(page_id))["provider_id"] == r.twilio.calls[1].sid


async def test_twilio_not_answering_the_question_sends_nothing_blind(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.SMS, NUMBER))
        now = r.clock.now()
        async with r.services.db.statement() as conn:
            assert await pages_table.claim(conn, page_id, now, now - LEASE)
            await pages_table.trying(conn, page_id, now)
        r.clock.advance(LEASE + timedelta(seconds=1))
        r.twilio.list_failures.append(503)
        await r.sender.settle()
        assert r.twilio.messages == [] and r.twilio.lists == 1
        r.clock.advance(backoff(5))
        await r.sender.settle()
        assert len(r.twilio.messages) == 1


async def test_the_fake_lists_as_twilio_does(config_path: Path) -> None:
    """The list resources the reconciliation reads: filters by number and date (dates
    only), newest first, pages linked by next_page_uri; anything else is refused."""
    async with rig(config_path, rate=0) as r:
        method = await r.method(ContactKind.VOICE, NUMBER)
        for _ in range(3):
            await r.page(method)
            await r.sender.settle()
            r.clock.advance(timedelta(minutes=1))
        url = r.twilio.base_url + f"/2010-04-01/Accounts/{SID}/Calls.json"
        async with httpx.AsyncClient(auth=(SID, TOKEN)) as http:
            day = r.clock.now().date().isoformat()
            first = (
                await http.get(url, params={"To": NUMBER, "StartTime>": day, "PageSize": 2})
            ).json()
            assert [c["sid"] for c in first["calls"]] == [c.sid for c in r.twilio.calls[::-1][:2]]
            assert first["previous_page_uri"] is None and first["page_size"] == 2
            rest = (await http.get(r.twilio.base_url + first["next_page_uri"])).json()
            assert [c["sid"] for c in rest["calls"]] == [r.twilio.calls[0].sid]
            assert rest["next_page_uri"] is None
            later = {"To": NUMBER, "StartTime>": "2099-01-01"}
            assert (await http.get(url, params=later)).json()["calls"] == []
            other = {"To": "+85290000000"}
            assert (await http.get(url, params=other)).json()["calls"] == []
            for bad in ({"StartTime>": "2026-11-26T02:00:00Z"}, {"DateSent>": day}):
                assert (await http.get(url, params=bad)).status_code == 400
        async with httpx.AsyncClient() as stranger:
            assert (await stranger.get(url)).status_code == 401


# -- the rate limit -----------------------------------------------------------------------


async def test_a_second_page_within_the_rate_limit_waits_its_turn(config_path: Path) -> None:
    async with rig(config_path, rate=60) as r:
        method = await r.method(ContactKind.SMS, NUMBER)
        await r.page(method)
        later = await r.page(method)
        await r.sender.settle()
        assert len(r.twilio.messages) == 1
        row = await r.row(later)
        assert row["sent_at"] is None and row["dead_at"] is None and row["attempts"] == 0
        r.clock.advance(timedelta(seconds=59))
        await r.sender.settle()
        assert len(r.twilio.messages) == 1
        r.clock.advance(timedelta(seconds=1))
        await r.sender.settle()
        first, second = r.twilio.messages
        assert second.at - first.at == timedelta(seconds=60)


async def test_the_rate_limit_is_per_channel(config_path: Path) -> None:
    async with rig(config_path, rate=60) as r:
        await r.page(await r.method(ContactKind.SMS, NUMBER))
        await r.page(await r.method(ContactKind.VOICE, NUMBER))
        await r.sender.settle()
        assert len(r.twilio.messages) == 1 and len(r.twilio.calls) == 1


# -- the keypress -------------------------------------------------------------------------


async def test_pressing_1_records_the_acknowledgement(config_path: Path) -> None:
    async with rig(config_path, language="zh_Hant") as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        await r.sender.settle()
        (call,) = r.twilio.calls
        assert 'language="yue-HK"' in call.body
        r.clock.advance(timedelta(minutes=2))
        answer = await r.twilio.press(call, "1")
        assert answer.status_code == 200
        assert "<Say" in answer.text and 'language="yue-HK"' in answer.text
        assert "多謝" in answer.text
        page = await paging.get_page(r.services, page_id)
        assert page is not None and page.acknowledged_via == "call"
        assert page.acknowledged_at == r.clock.now()


async def test_another_key_says_the_page_again(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        await r.sender.settle()
        answer = await r.twilio.press(r.twilio.calls[0], "5")
        assert answer.status_code == 200 and "<Gather" in answer.text and "R-0042" in answer.text
        page = await paging.get_page(r.services, page_id)
        assert page is not None and page.acknowledged_at is None


async def test_a_keypress_without_twilios_signature_is_refused(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        await r.sender.settle()
        (call,) = r.twilio.calls
        forged = await r.twilio.press(call, "1", sign_with="not-the-token")
        assert forged.status_code == 403
        action = ElementTree.fromstring(call.body).find("Gather")  # noqa: S314 - ours
        assert action is not None
        async with httpx.AsyncClient() as http:
            unsigned = await http.post(action.get("action", ""), data={"Digits": "1"})
            guessed = await http.post(f"{r.public_url}/paging/twilio/gather/{page_id}", data={})
        assert unsigned.status_code == 403 and guessed.status_code == 403
        page = await paging.get_page(r.services, page_id)
        assert page is not None and page.acknowledged_at is None
        token = (action.get("action") or "").rsplit("/", 1)[-1]
        assert token != str(page_id) and len(token) >= 32  # random, not the row id


def test_twilios_signature_is_the_documented_scheme() -> None:
    """Twilio's own example (its "Webhooks security" page): token 12345."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert signature("12345", url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    assert valid_signature("12345", url, params, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=")
    assert not valid_signature(
        "12345", url, {**params, "Digits": "1"}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )


# -- what a page says ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "say"),
    [("en", "en-GB"), ("zh_Hans", "cmn-CN"), ("zh_Hant", "yue-HK")],
)
def test_the_call_speaks_the_readers_language_twice_and_escapes(language: str, say: str) -> None:
    text = page_text("R-<1>", "A & B", "Immediate", language)
    xml = twiml.call(text, language, "https://bot.example.org/paging/twilio/gather/t?a=1&b=2")
    root = ElementTree.fromstring(xml)  # noqa: S314 - ours
    gather = root.find("Gather")
    assert gather is not None and gather.get("numDigits") == "1"
    assert gather.get("action") == "https://bot.example.org/paging/twilio/gather/t?a=1&b=2"
    spoken = [s.text for s in gather.findall("Say")]
    assert spoken.count(text) == 2
    assert {s.get("language") for s in root.iter("Say")} == {say}
    assert root[-1].tag == "Say"  # the goodbye, after the Gather
    assert twiml.voice_for("en", "en-US").language == "en-US"


async def test_no_page_carries_personal_data_and_the_number_is_sealed(config_path: Path) -> None:
    async with rig(config_path) as r:
        for kind, address in (
            (ContactKind.VOICE, NUMBER),
            (ContactKind.SMS, NUMBER),
            (ContactKind.WEBHOOK, GATEWAY_ID),
        ):
            await r.page(await r.method(kind, address))
        await r.sender.settle()
        answer = await r.twilio.press(r.twilio.calls[0], "9")
        said = [s.body for s in r.twilio.log] + [answer.text]
        said += [str({k: v for k, v in g.payload.items() if k != "address"}) for g in r.gateway.log]
        assert len(said) == 4
        for text in said:
            for canary in (*CANARIES, NUMBER, "Coordinator Li"):
                assert canary not in text, (canary, text)
        # The WAL holds what was written lately: read with the database file.
        raw = b"".join(p.read_bytes() for p in r.path.parent.glob("bot.sqlite3*"))
        assert NUMBER.encode() not in raw and GATEWAY_ID.encode() not in raw


async def test_a_contact_method_needs_a_valid_address(config_path: Path) -> None:
    async with rig(config_path) as r:
        with pytest.raises(paging.BadAddress):
            await paging.add_contact_method(r.services, r.coordinator, ContactKind.SMS, "12345")
        first = await paging.add_contact_method(r.services, r.coordinator, ContactKind.SMS, NUMBER)
        again = await paging.add_contact_method(r.services, r.coordinator, ContactKind.SMS, NUMBER)
        assert first.id == again.id and not first.usable
        assert NUMBER not in repr(first)
        async with r.services.db.write() as tx:
            await paging.remove_contact_methods(tx, r.coordinator)
        assert await paging.contact_methods(r.services, r.coordinator) == []
        assert Channel.SMS.value == ContactKind.SMS.value


async def test_the_running_bot_sends_pages_with_the_token_from_the_environment(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``[paging]`` in the file, the secret in the environment: the bot starts its page
    sender with the application, and a settle sends the page."""
    clock = FakeClock()
    twilio = FakeTwilio(SID, TOKEN, clock)
    await twilio.start()
    text = config_path.read_text(encoding="utf-8")
    config_path.write_text(
        text.replace(
            "[telegram]",
            f'[paging]\nbase_url = "{twilio.base_url}"\naccount_sid = "{SID}"\n'
            f'from_number = "{FROM}"\n\n[telegram]',
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("REFERRAL_BOT_PAGING__AUTH_TOKEN", TOKEN)
    try:
        async with world(config_path, clock=clock) as w:
            assert w.pager is not None
            li = await enrol(
                w, 500, "Coordinator Li", "--role", "coordinator", "--team", "xuhui-sw"
            )
            person = await people.by_telegram_id(w.services.db.reader, 500)
            assert person is not None and li.messages
            method = await paging.add_contact_method(w.services, person.id, ContactKind.SMS, NUMBER)
            async with w.services.db.write() as tx:
                await paging.page(
                    tx,
                    w.services,
                    method,
                    PageContent("R-0001", "family_dispute", "urgent"),
                    referral_id=None,
                )
            await w.settle()
            assert [m.to for m in twilio.messages] == [NUMBER]
            assert twilio.messages[0].body.startswith("Referral R-0001 needs a coordinator")
    finally:
        await twilio.close()


async def test_a_gateway_4xx_other_than_422_is_the_deployments_not_the_persons(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The gateway's contract: only 422 refuses an address. A 400 (a wrong URL, payload
    or secret) marks nothing failing; the page is retried; one ERROR line per outage."""
    async with rig(config_path) as r:
        told: list[tuple[str, str]] = []

        async def misconfigured(provider: str, code: str) -> None:
            told.append((provider, code))

        r.sender.on_misconfigured = misconfigured
        await r.page(await r.method(ContactKind.WEBHOOK, GATEWAY_ID))
        r.gateway.fail_next(400, times=2)
        with caplog.at_level("ERROR", logger="referral_bot.paging"):
            await r.sender.settle()
            r.clock.advance(backoff(0))
            await r.sender.settle()
        (method,) = await paging.contact_methods(r.services, r.coordinator)
        assert method.usable and r.refused == [] and r.gateway.log == []
        assert told == [("gateway", "gateway http 400")]
        assert len([x for x in caplog.records if x.levelname == "ERROR"]) == 1
        r.clock.advance(backoff(1))
        await r.sender.settle()
        assert len(r.gateway.log) == 1


async def test_an_oversized_keypress_body_is_refused_before_parsing(config_path: Path) -> None:
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.VOICE, NUMBER))
        await r.sender.settle()
        (call,) = r.twilio.calls
        gather = ElementTree.fromstring(call.body).find("Gather")  # noqa: S314 - ours
        assert gather is not None
        async with httpx.AsyncClient() as http:
            big = await http.post(gather.get("action", ""), content=b"Digits=1&x=" + b"a" * 20000)
        assert big.status_code in (400, 413)
        page = await paging.get_page(r.services, page_id)
        assert page is not None and page.acknowledged_at is None


async def test_a_keypress_port_in_use_is_said_at_start_up_and_the_bot_runs_on(
    config_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Another process holds ``[paging] port``: one clear ERROR line before the bot says
    it is ready, no task left to die silently (and so nothing to break the stop)."""
    async with rig(config_path) as r:
        (taken,) = bind_sockets(0, "127.0.0.1")
        try:
            port = taken.getsockname()[1]
            paging_config = r.services.config.paging.model_copy(
                update={"port": port, "listen": "127.0.0.1"}
            )
            config = r.services.config.model_copy(update={"paging": paging_config})
            services = Services(config=config, db=r.services.db, clock=r.clock)
            app = SimpleNamespace(bot_data={"services": services})
            with caplog.at_level("ERROR", logger="bot.cli"):
                task = serving._keypresses(app, asyncio.Event())  # type: ignore[arg-type]
            assert task is None
            (line,) = [x.getMessage() for x in caplog.records if x.levelname == "ERROR"]
            assert f"cannot take Twilio's keypresses on 127.0.0.1:{port}" in line
        finally:
            taken.close()


async def test_a_crashed_keypress_server_does_not_break_the_stop(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def crash() -> None:
        raise RuntimeError("boom")

    with caplog.at_level("ERROR", logger="bot.cli"):
        task = asyncio.create_task(crash())
        task.add_done_callback(serving._keypresses_ended)
        await serving._keypresses_stopped(task)  # returns: the stop goes on
    assert "the keypress server stopped: RuntimeError" in caplog.text


def test_the_reference_is_spelt_and_the_twiml_stays_valid_xml() -> None:
    body = twiml.call(
        "转介 R-<7&K> 需要协调员", "zh_Hans", "https://bot.example/a?b=1&c=2", ref="R-<7&K>"
    )
    root = ElementTree.fromstring(body)  # noqa: S314 - ours
    say_as = root.find("Gather/Say/say-as")
    assert say_as is not None and say_as.get("interpret-as") == "characters"
    assert say_as.text == "R-<7&K>"
    taken = twiml.already_taken_answer("zh_Hant")
    assert ElementTree.fromstring(taken).find("Hangup") is not None  # noqa: S314 - ours


async def test_an_sms_region_the_account_has_not_enabled_is_the_deployments_mistake(
    config_path: Path,
) -> None:
    """Twilio's 21408 is the account's Geo Permissions, not the person's number: one
    account not yet enabled for Hong Kong must not mark every coordinator failing."""
    async with rig(config_path) as r:
        page_id = await r.page(await r.method(ContactKind.SMS, NUMBER))
        r.twilio.fail_next(400, code=21408)
        await r.sender.settle()
        (method,) = await paging.contact_methods(r.services, r.coordinator)
        assert method.failing_since is None and r.refused == []
        row = await r.row(page_id)
        assert row["dead_at"] is None and row["sent_at"] is None  # to be tried again
