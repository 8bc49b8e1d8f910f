"""The notice renderers called directly: a text checked without a bot, a database or a
fake Telegram (the end-to-end tests check the same texts on the phones)."""

from __future__ import annotations

import inspect
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Config
from bot.domain.people import Person
from bot.domain.referral import Referral, Status, Urgency
from bot.i18n import Translator
from bot.services.coordinator import Asked
from bot.services.notices import Notice, NoticeKind
from handlers import cards
from handlers.notice_texts import RENDERERS, Facts, render
from storage.offers import OfferState

FILED_AT = datetime(2026, 3, 2, 14, 5, tzinfo=UTC)  # 22:05 in Shanghai

LI_NA = Person(1, 501, "Li Na", (), "en", active=True, reachable=True, available=True)

REFERRAL = Referral(
    id=7,
    ref="R-7F3K",
    station_id="tianping",
    officer_id=2,
    category="family_dispute",
    urgency=Urgency.URGENT,
    co_response=False,
    safety=frozenset(),
    appropriate_adult_now=False,
    age_band=None,
    consent=None,
    consent_note=None,
    consultation=False,
    status=Status.OFFERED,
    assignee_id=None,
    created_at=FILED_AT,
    accepted_at=None,
    contacted_at=None,
    closed_at=None,
    outcome=None,
    resource_type=None,
    person_name="Wang Fang",
    person_phone="13800138000",
    no_phone=False,
    place="Room 3",
    latitude=None,
    longitude=None,
    summary="A quarrel.",
    resource_name=None,
    closing_note=None,
)


def shown_to(
    language: str,
    config: Config,
    kind: NoticeKind,
    values: dict[str, str] | None = None,
    referral: Referral = REFERRAL,
    **facts: Any,
) -> str:
    """The text of a ``kind`` notice about ``referral``, as a reader of ``language`` sees it."""
    notice = Notice(kind, replace(LI_NA, language=language), referral.id, values=values or {})
    return render(Translator(language), config, Facts(notice, referral, **facts)).text


def test_every_notice_kind_has_exactly_one_renderer() -> None:
    # A dict holds one renderer a kind; none is left for another module to draw (the
    # details REVEAL sends are handlers/details.py's, but REVEAL's case card is here).
    assert set(RENDERERS) == set(NoticeKind)


def test_renderers_do_not_await() -> None:
    # Pure: what a notice needs from the database is read before rendering.
    assert not [kind for kind, one in RENDERERS.items() if inspect.iscoroutinefunction(one)]


WORKER = {"worker": "Li Na", "worker_telegram_id": "501"}
LINK = '<a href="tg://user?id=501">Li Na</a>'


# What the officer reads at each step: (kind, values, English, Chinese), under the headline.
OFFICER_STEPS: list[tuple[NoticeKind, dict[str, str], str, str]] = [
    (
        NoticeKind.ACCEPTED,
        WORKER,
        f"Accepted by {LINK}. Tap the name to write to them.",
        f"{LINK}已接案。点击姓名可直接给对方发消息。",
    ),
    (
        NoticeKind.ASSIGNED,
        {**WORKER, "by": "Zhao Lei"},
        f"{LINK} confirmed and takes it (assigned by coordinator Zhao Lei). "
        "Tap the name to write to them.",
        f"{LINK}已确认接案（由协调员Zhao Lei指派）。点击姓名可直接联系。",
    ),
    (
        NoticeKind.CONTACTED,
        WORKER,
        "Li Na has made first contact.",
        "Li Na已与当事人首次联系。",
    ),
    (
        NoticeKind.RETURNED,
        {**WORKER, "reason": "Call 13800138000 first."},
        "Returned to police by Li Na. Reason: Call *******8000 first.\n"
        "If social work is needed again, file a new referral (/new).",
        "Li Na已将此转介退回派出所。原因：Call *******8000 first.\n"
        "如仍需社工介入，请重新提交转介（/new）。",
    ),
    (
        NoticeKind.RETURNED,
        {**WORKER, "why": "outside_area", "reason": "Lives in Minhang."},
        "Returned to police by Li Na. Reason: Outside our area or service — Lives in Minhang.\n"
        "If social work is needed again, file a new referral (/new).",
        "Li Na已将此转介退回派出所。原因：超出本机构服务区域或服务范围——Lives in Minhang.\n"
        "如仍需社工介入，请重新提交转介（/new）。",
    ),
    (
        NoticeKind.ESCALATED,
        {"level": "2"},
        "Nobody has accepted yet: the coordinator on duty has been alerted.",
        "还没有人接案：已通知值班协调员。",
    ),
    (NoticeKind.REOPENED, WORKER, "Reopened by Li Na.", "Li Na已重新开案。"),
]


@pytest.mark.parametrize(
    ("kind", "values", "english", "chinese"),
    OFFICER_STEPS,
    ids=[step[0].value for step in OFFICER_STEPS],
)
def test_the_officer_reads_each_step_under_the_headline(
    config: Config, kind: NoticeKind, values: dict[str, str], english: str, chinese: str
) -> None:
    assert shown_to("en", config, kind, values) == (
        f"<b>R-7F3K</b> · Family dispute · Urgent\n{english}"
    )
    assert shown_to("zh_Hans", config, kind, values) == (
        f"<b>R-7F3K</b> · 家庭矛盾 · 紧急\n{chinese}"
    )


def test_filed_with_no_offer_delivered_says_nobody_is_available(config: Config) -> None:
    for language in ("en", "zh_Hans"):
        nobody = shown_to(language, config, NoticeKind.NOBODY_AVAILABLE)
        assert shown_to(language, config, NoticeKind.FILED, delivered=0) == nobody
    assert shown_to("en", config, NoticeKind.FILED, delivered=0).endswith(
        "Filed, but no social worker is available right now. It stays open and is "
        "offered as soon as someone is."
    )
    assert shown_to("zh_Hans", config, NoticeKind.FILED, delivered=0).endswith(
        "已提交，但目前没有可接案的社工。转介会保持开放，一有社工可接案就会推送。"
    )


def test_filed_counts_the_workers_the_offer_reached(config: Config) -> None:
    assert shown_to("en", config, NoticeKind.FILED, delivered=1).endswith(
        "Sent to 1 social worker. You will hear when they accept."
    )
    assert shown_to("en", config, NoticeKind.FILED, delivered=3).endswith(
        "Sent to 3 social workers. You will hear when one accepts."
    )
    assert shown_to("zh_Hans", config, NoticeKind.FILED, delivered=3).endswith(
        "已发送，已推送给 3 名社工；有人接案时会通知你。"
    )


def test_a_step_taken_late_says_so_on_the_officers_notice_and_the_coordinators_card(
    config: Config,
) -> None:
    late = "⏱ This step is 12 min late: the bot was offline."
    escalated = shown_to("en", config, NoticeKind.ESCALATED, {"level": "1", "late": "12"})
    assert escalated.endswith("now offered to more social workers.\n" + late)
    now = FILED_AT + timedelta(minutes=30)
    card = shown_to("en", config, NoticeKind.ESCALATION, {"late": "12"}, now=now)
    assert card.startswith("⏫ Nobody has accepted this referral yet\n")
    assert "Waiting for 30 min." in card
    assert card.endswith("No social worker could be offered it.\n" + late)
    assert late not in shown_to("en", config, NoticeKind.ESCALATION, now=now)


def test_a_decline_reason_quotes_the_worker_with_identifiers_masked(config: Config) -> None:
    asked = Asked("Li Na", OfferState.DECLINED, "other", note="Ring 13800138000")
    text = shown_to("en", config, NoticeKind.DECLINE_REASON, declined=asked)
    assert text == "💬 Li Na gave a reason for declining R-7F3K: “Ring *******8000”"


def test_an_offer_card_closed_by_another_worker_or_the_officer(config: Config) -> None:
    taken = shown_to("zh_Hans", config, NoticeKind.OFFER_TAKEN, {"worker": "李娜"})
    assert taken == "<b>R-7F3K</b> · 家庭矛盾 · 紧急\n已由李娜接案。"  # no spaces around a name
    withdrawn = shown_to("en", config, NoticeKind.OFFER_WITHDRAWN)
    assert withdrawn == "<b>R-7F3K</b> · Family dispute · Urgent\nWithdrawn by the officer."


def test_a_reveal_names_the_assigning_coordinator_before_the_details(config: Config) -> None:
    tr = Translator("en")
    accepted = replace(REFERRAL, status=Status.ACCEPTED, assignee_id=1, accepted_at=FILED_AT)
    assigned = Notice(NoticeKind.REVEAL, LI_NA, 7, values={"by": "Zhao Lei"})
    shown = render(tr, config, Facts(assigned, accepted))
    assert shown.lead == "Coordinator Zhao Lei assigned this referral to you."
    assert shown.text == cards.case_text(tr, config, accepted)
    assert shown.buttons == cards.case_buttons(tr, accepted, None)
    taken = Notice(NoticeKind.REVEAL, LI_NA, 7)
    assert render(tr, config, Facts(taken, accepted)).lead is None


def test_the_handover_says_where_each_referral_of_the_night_stands(config: Config) -> None:
    accepted = replace(
        REFERRAL,
        status=Status.ACCEPTED,
        assignee_id=1,
        accepted_at=FILED_AT + timedelta(minutes=9),
    )
    gone = replace(accepted, id=8, ref="R-9Q2W", assignee_id=3)  # a name no longer found
    waiting = replace(REFERRAL, id=9, ref="R-4HX8")
    night = {"since": "2026-03-02T10:00:00+00:00", "until": "2026-03-02T23:00:00+00:00"}
    text = shown_to(
        "en",
        config,
        NoticeKind.HANDOVER,
        night,
        overnight=(accepted, gone, waiting),
        names={1: "Li Na"},
    )
    assert text.splitlines() == [
        "☀️ Morning handover: 3 referrals since 2026-03-02 18:00.",
        "<b>R-7F3K</b> · Family dispute · Urgent — accepted by Li Na after 9 min",
        "<b>R-9Q2W</b> · Family dispute · Urgent — accepted by ? after 9 min",
        "<b>R-4HX8</b> · Family dispute · Urgent — still open: nobody has accepted",
    ]


@pytest.mark.parametrize(
    ("language", "hint"),
    [("en", "Next time, tap “➕ New referral” below to file."), ("zh_Hans", None)],
)
def test_the_review_card_says_submitted_and_shows_the_button_to_who_used_new(
    config: Config, language: str, hint: str | None
) -> None:
    tr = Translator(language)
    officer = replace(LI_NA, language=language)
    plain = Notice(NoticeKind.SUBMITTED, officer, REFERRAL.id, message_id=9)
    with_hint = replace(plain, values={"hint": "1"})
    assert render(tr, config, Facts(plain, REFERRAL)).follow_up is None
    shown = render(tr, config, Facts(with_hint, REFERRAL))
    assert shown.text == tr("Submitted as {ref}.", ref="R-7F3K")
    assert shown.follow_up is not None
    text, keyboard = shown.follow_up
    assert text == (
        hint or tr("Next time, tap “{button}” below to file.", button=tr(cards.NEW_REFERRAL))
    )
    assert keyboard.keyboard[0][0].text == tr(cards.NEW_REFERRAL)


def test_the_arrival_reads_in_each_language_with_its_clock_times(config: Config) -> None:
    """The officer's card once the worker is there, and the worker's "on the way", as a
    reader of each catalogue sees them (22:05 filed; accepted 22:10, set off 22:12 with
    15 min, arrived 22:30)."""
    at = FILED_AT + timedelta(minutes=5)
    attended = replace(
        REFERRAL,
        co_response=True,
        status=Status.ACCEPTED,
        assignee_id=1,
        accepted_at=at,
        on_way_at=at + timedelta(minutes=2),
        eta_minutes=15,
    )
    worker = {"worker": "李娜"}
    assert shown_to("zh_Hans", config, NoticeKind.ON_WAY, worker, attended).endswith(
        "李娜于 2026-03-02 22:12 出发，预计 2026-03-02 22:27 到达"
        "（目标到达时间：2026-03-02 23:10）。"
    )
    assert shown_to("zh_Hant", config, NoticeKind.ON_WAY, worker, attended).endswith(
        "李娜於 2026-03-02 22:12 出發，預計 2026-03-02 22:27 到達"
        "（目標到達時間：2026-03-02 23:10）。"
    )
    there = replace(attended, arrived_at=at + timedelta(minutes=20))
    assert shown_to("zh_Hans", config, NoticeKind.ARRIVED, worker, there).splitlines()[1:] == [
        "李娜于 2026-03-02 22:30 到达，距接案 20 分钟。",
        "民警现在可以离开现场吗？",
    ]
    assert shown_to("zh_Hant", config, NoticeKind.ARRIVED, worker, there).splitlines()[1:] == [
        "李娜於 2026-03-02 22:30 到達，距接案 20 分鐘。",
        "警方現在可以離開現場嗎？",
    ]


def test_the_morning_handover_says_who_holds_a_case_now_and_whom_it_waits_for(
    config: Config,
) -> None:
    taken = replace(
        REFERRAL,
        status=Status.ACCEPTED,
        assignee_id=2,
        accepted_at=FILED_AT + timedelta(minutes=9),
        holder_since=FILED_AT + timedelta(minutes=90),
    )
    assigned = replace(REFERRAL, id=9, ref="R-4HX8")
    night = {"since": "2026-03-02T10:00:00+00:00", "until": "2026-03-02T23:00:00+00:00"}
    text = shown_to(
        "en",
        config,
        NoticeKind.HANDOVER,
        night,
        overnight=(taken, assigned),
        names={2: "Zhou Min"},
        taken_from={taken.id: "Li Na"},
        confirming={assigned.id: ("Li Na",)},
    )
    assert text.splitlines()[1:] == [
        "<b>R-7F3K</b> · Family dispute · Urgent — with Zhou Min (taken over from Li Na)",
        "<b>R-4HX8</b> · Family dispute · Urgent — waiting for Li Na to confirm",
    ]
