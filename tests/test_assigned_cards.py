"""What each coordinator's escalation card says once one of them assigned the referral:
the one who assigned it reads what they did ("You assigned it to Li Na"), the others
who assigned it to whom, each in their own language."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.clock import FakeClock
from bot.domain.referral import Urgency
from bot.i18n import Translator
from bot.sandbox import Phone
from bot.sandbox.world import world
from tests.stories import draft, enrol, file, station
from tests.test_escalation import THURSDAY_2340, escalation_cards, tick


def cards_of(phone: Phone) -> list[str]:
    """The last line of each escalation card the phone received (edited since or not)."""
    return [
        m.plain.splitlines()[-1]
        for m in phone.bot_messages
        if "⏫" in m.plain or any("⏫" in old for old in m.history)
    ]


async def test_the_assigning_coordinator_reads_what_they_did_and_the_others_who_assigned_whom(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        s = await station(w, {"李娜": ("domestic_violence",), "周敏": ()})
        chen = await enrol(
            w, 300, "陈静", "--role", "coordinator", "--team", "xuhui-sw", language="zh-hans"
        )
        await chen.send("/available")
        boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")  # all stations
        zhao = await enrol(w, 302, "赵磊", "--role", "coordinator", language="zh-hans")
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        for minutes in (15, 30, 60):  # the team, the coordinator on duty, every coordinator
            clock.advance(timedelta(minutes=minutes))
            await tick(w)
        assert escalation_cards(chen) == 2 and escalation_cards(boss) == 1
        assert escalation_cards(zhao) == 1

        zh = Translator("zh_Hans")
        await chen.tap(zh("👥 Assign to…"))
        label = zh(
            "{name} · {state} · {count}/{cap} open",
            name="李娜",
            state=zh("on duty"),
            count=0,
            cap=4,
        )
        await chen.tap(label)
        waiting = zh("⏳ Waiting for {names} to confirm.", names="李娜")
        assert any(waiting in m.plain.splitlines() for m in chen.bot_messages)
        await s.workers["李娜"].tap("✅ I take it")

        assert chen.last.plain.endswith("\n你已指派给李娜。")
        assert cards_of(chen) == ["你已指派给李娜。", "你已指派给李娜。"]  # both her cards
        assert cards_of(boss) == ["Assigned by 陈静 to 李娜."]
        assert cards_of(zhao) == ["陈静已指派给李娜。"]
        zhou_offer = s.workers["周敏"].last.plain
        assert zhou_offer.endswith("\nAssigned by 陈静 to 李娜.")  # not "Taken by 李娜"


async def test_a_coordinator_who_takes_it_herself_reads_so_and_the_others_who_took_it(
    config_path: Path,
) -> None:
    clock = FakeClock(THURSDAY_2340)
    async with world(config_path, clock=clock) as w:
        await station(w, {"Li Na": (), "Zhou Min": ()})
        chen = await enrol(w, 300, "Coord Chen", "--role", "coordinator", "--team", "xuhui-sw")
        await chen.send("/available")
        boss = await enrol(w, 301, "Night Boss", "--role", "coordinator")
        await file(w, draft("domestic_violence", urgency=Urgency.URGENT))
        for minutes in (15, 30, 60):
            clock.advance(timedelta(minutes=minutes))
            await tick(w)
        await chen.tap("🙋 Take it myself")
        assert cards_of(chen) == ["You took it yourself.", "You took it yourself."]
        assert cards_of(boss) == ["Taken by Coord Chen."]
