"""Returning a case to the police: the reason by a tap, then a line for the officer.

The reason's code is what a report counts (issue 18, "returned to police by reason");
the typed line is what the officer acts on, and stays sealed in the history.
"""

from __future__ import annotations

from pathlib import Path

from bot import labels
from bot.domain.referral import ReturnReason, Status
from bot.i18n import Translator
from bot.reports.labels import report_labels
from bot.sandbox import Phone
from bot.sandbox.world import World, world
from bot.services import people as people_service
from bot.services import referrals as referral_service
from bot.services import reports
from storage import referrals
from tests.stories import draft, enrol, file, station

HANS, HANT = Translator("zh_Hans"), Translator("zh_Hant")
NOT_ACTIVE = "This button is no longer active."
REASONS = [
    "Needs police action (crime or danger)",
    "Not a matter for social work",
    "Outside our area or service",
    "Details wrong or incomplete",
    "Other reason",
]


async def test_a_hong_kong_worker_returns_a_case_and_the_officer_reads_the_reason_in_simplified(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {})
        chan = await enrol(
            w, 250, "陳社工", "--role", "social_worker", "--team", "xuhui-sw", language="zh_Hant"
        )
        await chan.send("/available")
        referral = await file(w, draft("neighbour_dispute"))
        await s.officer.send("/language")
        await s.officer.tap("简体中文")
        await chan.tap(HANT("✅ Accept"))
        await chan.tap(HANT("Return to police"))
        # One tap for the reason, in the worker's words; the warning is there already.
        choices = chan.last
        assert choices.button_labels() == [
            *(HANT(label) for label in labels.RETURN_REASON.values()),
            HANT("⬅ Back"),
        ]
        assert choices.button_labels()[:2] == ["需警方跟進（涉及罪案或危險）", "不屬社工服務範疇"]
        assert choices.plain.endswith(HANT("A returned case cannot be reopened."))
        await chan.tap("不屬社工服務範疇")
        assert chan.last.plain.startswith(f"將 {referral.ref} 退回警方。原因：不屬社工服務範疇。")
        assert chan.last.plain.endswith("已退回警方的個案不能重開。")
        await chan.send("只係鄰居嘈音，已建議物業管理處理。")
        assert HANT("Returned to police.") in chan.last.plain
        told = s.officer.last.plain.splitlines()
        assert told[1] == (
            "陳社工已将此转介退回派出所。原因：不属于社工服务范围——只係鄰居嘈音，已建議物業管理處理。"
        )
        assert told[2] == HANS("If social work is needed again, file a new referral (/new).")
        returned = await referral_service.get(w.services, referral.id)
        assert returned is not None and returned.status is Status.RETURNED
        assert returned.return_reason is ReturnReason.NOT_SOCIAL_WORK


async def test_a_forged_reason_is_refused_and_a_double_tap_returns_once(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        referral = await file(w, draft("family_dispute"))
        li = s.workers["Li Na"]
        await li.tap("✅ Accept")
        await li.tap("Return to police")
        card = li.last
        assert card.button_labels() == [*REASONS, "⬅ Back"]
        for forged in ("nonsense", "POLICE_MATTER", "police_matter_", ""):
            data = f"c:{referral.id}:rr:{forged}".rstrip(":")
            answer = await li.tap_data(data, message_id=card.message_id)
            assert (answer.text, answer.show_alert) == (NOT_ACTIVE, True), forged
        assert li.last.button_labels() == [*REASONS, "⬅ Back"]  # the card is as it was
        # Back: the case card again, nothing changed.
        await li.tap("⬅ Back")
        assert li.last.button("Return to police") is not None
        await li.tap("Return to police")
        reason = li.last.button("Details wrong or incomplete")
        assert reason is not None and reason.callback_data is not None
        await li.tap("Details wrong or incomplete")
        again = await li.tap_data(reason.callback_data, message_id=li.last.message_id)
        assert again.show_alert is False  # the second tap asks the same question again
        await li.send("The address given is a shop, not a home; please check it.")
        assert "Returned to police." in li.last.plain
        returned = [t for t in s.officer.texts if "Returned to police by Li Na" in t]
        assert len(returned) == 1
        assert "Reason: Details wrong or incomplete — The address given is a shop" in returned[0]
        late = await li.tap_data(reason.callback_data, message_id=li.last.message_id)
        assert late.text == NOT_ACTIVE
        stored = await referral_service.get(w.services, referral.id)
        assert stored is not None and stored.return_reason is ReturnReason.WRONG_DETAILS


async def _return(li: Phone, reason: str, line: str) -> None:
    await li.tap("✅ Accept")
    await li.tap("Return to police")
    await li.tap(reason)
    await li.send(line)
    assert "Returned to police." in li.last.plain


async def _returned_before_reasons(w: World, referral_id: int, worker: Phone) -> None:
    """A return as the bot wrote it before the reasons' buttons: no code kept."""
    person = await people_service.find(w.services, worker.chat_id)
    assert person is not None
    async with w.services.db.write() as tx:
        assert await referrals.transition(
            tx,
            referral_id,
            from_status=Status.ACCEPTED,
            to_status=Status.RETURNED,
            now=w.services.clock.now(),
            actor_id=person.id,
            reason="Old line typed before the buttons",
        )


async def test_the_report_counts_returns_by_reason_with_older_ones_unknown(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        s = await station(w, {"Li Na": ()})
        li = s.workers["Li Na"]
        await file(w, draft("family_dispute"))
        await _return(li, "Needs police action (crime or danger)", "Threats with a knife.")
        await file(w, draft("elderly"))
        await _return(li, "Outside our area or service", "Lives in another district.")
        await file(w, draft("neighbour_dispute"))
        await _return(li, "Needs police action (crime or danger)", "Damage to property.")
        old = await file(w, draft("family_dispute"))
        await li.tap("✅ Accept")
        await _returned_before_reasons(w, old.id, li)
        await file(w, draft("elderly"))  # still open: not a return

        config = w.services.config
        today = w.services.clock.now().astimezone(config.zone).date()
        report = await reports.figures(w.services, today, today, (), per_worker=False)
        keys = [t.key for t in report.tables]
        assert keys.index("returned_by_reason") == keys.index("returned_withdrawn") + 1
        table = next(t for t in report.tables if t.key == "returned_by_reason")
        assert table.rows == (
            ("police_matter", 2),
            ("not_social_work", 0),
            ("outside_area", 1),
            ("wrong_details", 0),
            ("other", 0),
            ("unknown", 1),
        )
        returned = next(t for t in report.tables if t.key == "returned_withdrawn")
        assert dict(returned.rows)["returned"] == 4
        # Never the worker's own lines.
        for line in ("knife", "district", "property", "Old line"):
            assert line not in repr(report)

        english = report_labels(config, "en")
        assert english("returned_by_reason", "outside_area") == "Outside our area or service"
        assert english("returned_by_reason", "unknown") == (
            "Not recorded (returned before reasons were kept)"
        )
        hans, hant = report_labels(config, "zh_Hans"), report_labels(config, "zh_Hant")
        assert hans("returned_by_reason", "police_matter") == "需民警处置（涉嫌违法犯罪或存在危险）"
        assert hant("returned_by_reason", "police_matter") == "需警方跟進（涉及罪案或危險）"
        assert hant("returned_by_reason", "unknown") == HANT(
            "Not recorded (returned before reasons were kept)"
        )
