"""Details come off the worker's phone again when the agency asks for it, and can be
shown again (audited) while the case is theirs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.engine import details_hiding
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from handlers.context import BotContext
from handlers.details import hide_due
from storage import audit
from tests.stories import CANARY_NAME, CANARY_PHONE, draft, file, station


def configure(path: Path, **privacy: object) -> None:
    lines = "".join(f"{key} = {str(value).lower()}\n" for key, value in privacy.items())
    path.write_text(path.read_text(encoding="utf-8") + "\n[privacy]\n" + lines, encoding="utf-8")


async def tick(w: World) -> None:
    """One round of the hiding job, as the running bot's job does it."""
    due, pins = await details_hiding.tick(w.services)
    await hide_due(BotContext(w.app), due, pins)


def showing_details(phone: Phone) -> list[str]:
    """Texts on the phone right now that carry the person's name or phone."""
    return [t for t in phone.texts if CANARY_NAME in t or CANARY_PHONE in t]


async def reveals(w: World) -> int:
    return len(await audit.entries(w.services.db.reader, action="referral.revealed"))


async def test_details_are_hidden_after_the_hours_and_shown_again_on_a_tap(
    config_path: Path,
) -> None:
    configure(config_path, hide_details_after_hours=12)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("elderly", place=None, latitude=31.2, longitude=121.44))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        assert len(showing_details(li)) == 1
        assert [m.location for m in li.bot_messages if m.kind == "location"] == [(31.2, 121.44)]

        w.clock.advance(timedelta(hours=11, minutes=59))
        await tick(w)
        assert len(showing_details(li)) == 1

        w.clock.advance(timedelta(minutes=1))
        await tick(w)
        assert showing_details(li) == []
        assert not [m for m in li.bot_messages if m.kind == "location"]
        assert [t for t in li.texts if "taken off this chat after 12 hours" in t]
        hidden = await audit.entries(w.services.db.reader, action="referral.details_hidden")
        assert len(hidden) == 1

        await li.tap("🔒 Show details again")
        assert len(showing_details(li)) == 1
        assert li.last.kind == "location" and li.last.protect_content
        assert await reveals(w) == 2

        await tick(w)  # shown again just now: stays until its own 12 hours are up
        assert len(showing_details(li)) == 1


async def test_details_are_deleted_when_the_case_is_closed(config_path: Path) -> None:
    configure(config_path, hide_details_at_closure=True)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("neighbour_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        w.clock.advance(timedelta(days=30))
        await tick(w)
        assert len(showing_details(li)) == 1  # no time limit configured
        await li.tap("🔒 Show details")
        assert len(showing_details(li)) == 2
        await li.tap("Close case")
        await li.tap("Resolved")
        await li.send("Settled with both parties.")
        await tick(w)
        assert showing_details(li) == []
        # The first showing was too old for Telegram to delete: its words were replaced.
        ended = [t for t in li.texts if "taken off this chat when the case ended" in t]
        assert len(ended) == 1
        await tick(w)  # nothing is done twice
        hidden = await audit.entries(w.services.db.reader, action="referral.details_hidden")
        assert len(hidden) == 2


async def test_without_the_setting_details_stay(config_path: Path) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("neighbour_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Close case")
        await li.tap("Resolved")
        await li.send("Settled with both parties.")
        w.clock.advance(timedelta(days=3))
        await tick(w)
        assert len(showing_details(li)) == 1


async def test_someone_else_cannot_use_the_show_again_button(config_path: Path) -> None:
    configure(config_path, hide_details_after_hours=2)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": (), "Zhou Min": ()})
        referral = await file(w, draft("family_dispute"))
        li, zhou = s.workers["Li Na"], s.workers["Zhou Min"]
        await li.tap("✅ Accept")
        w.clock.advance(timedelta(hours=2))
        await tick(w)
        placeholder = next(m for m in li.bot_messages if m.button("🔒 Show details again"))
        assert placeholder.button("🔒 Show details again") is not None
        # Zhou forges the same button on the offer card he still has.
        answer = await zhou.tap_data(f"c:{referral.id}:s", message_id=zhou.last.message_id)
        assert answer.text
        assert showing_details(zhou) == [] and showing_details(li) == []
        assert await reveals(w) == 1


async def test_a_pin_is_deleted_before_telegram_would_no_longer_allow_it(
    config_path: Path,
) -> None:
    configure(config_path, hide_details_at_closure=True)
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        await file(w, draft("elderly", place=None, latitude=31.2, longitude=121.44))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        w.clock.advance(timedelta(hours=46))
        await tick(w)
        assert [m for m in li.bot_messages if m.kind == "location"]
        w.clock.advance(timedelta(hours=1, minutes=1))  # 47 hours: last chance to delete it
        await tick(w)
        assert not [m for m in li.bot_messages if m.kind == "location"]
        assert len(showing_details(li)) == 1  # the words stay until the case ends
        w.clock.advance(timedelta(days=2))
        await li.tap("Close case")
        await li.tap("Resolved")
        await li.send("Moved in with her daughter.")
        await tick(w)
        assert showing_details(li) == []
