"""The draft's rules, without Telegram: steps, refusals, urgency suggestions, storage form."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.config import DEFAULT_CATEGORIES
from bot.domain.draft import (
    DRAFT_LIFETIME,
    QUESTIONS,
    Draft,
    DraftError,
    Problem,
    Step,
    clean_phone,
    clock_time,
    expired,
)
from bot.domain.referral import (
    CategoryFacts,
    Consent,
    Guardian,
    NotAskedReason,
    Questioning,
    Safety,
    Urgency,
)

# What the default configuration says about each category (the handlers look it up so).
FACTS = {c.id: c.facts for c in DEFAULT_CATEGORIES}


def facts(draft: Draft) -> CategoryFacts:
    assert draft.category is not None
    return FACTS[draft.category]


def routine_draft() -> Draft:
    """A neighbour dispute answered step by step, as far as the review card."""
    draft = Draft()
    draft.choose_category("neighbour_dispute", FACTS["neighbour_dispute"])
    draft.no_safety_concern(facts(draft))
    draft.choose_urgency(draft.suggested_urgency(facts(draft)))
    draft.type_place("Lane 5, Tianping Road")
    draft.choose_age_band("adult")
    draft.type_phone("138 0013 8000")
    draft.choose_consent(Consent.PERSON_AGREES)
    draft.type_summary("Neighbours argue about noise every night.")
    draft.skip_incident_number()
    return draft


def test_a_routine_referral_walks_every_step_to_the_review_card() -> None:
    draft = Draft()
    seen = []
    for answer in (
        lambda: draft.choose_category("neighbour_dispute", FACTS["neighbour_dispute"]),
        lambda: draft.no_safety_concern(facts(draft)),
        lambda: draft.choose_urgency(Urgency.ROUTINE),
        lambda: draft.type_place("Lane 5"),
        lambda: draft.choose_age_band("adult"),
        draft.choose_no_phone,
        lambda: draft.choose_consent(Consent.PERSON_AGREES),
        lambda: draft.type_summary("Noise."),
        draft.skip_incident_number,
    ):
        seen.append(draft.number)
        answer()
    assert seen == list(range(1, QUESTIONS + 1))
    assert draft.step is Step.REVIEW and draft.missing() == []
    assert not draft.co_response and not draft.consultation


def test_an_answer_for_another_step_is_refused_and_changes_nothing() -> None:
    draft = Draft()
    draft.choose_category("family_dispute", FACTS["family_dispute"])
    before = draft.to_json()
    with pytest.raises(DraftError) as refused:
        draft.choose_category("juvenile", FACTS["juvenile"])  # a double tap on the category grid
    assert refused.value.problem is Problem.WRONG_STEP
    with pytest.raises(DraftError):
        draft.choose_urgency(Urgency.ROUTINE)  # the safety screen has not been answered
    assert draft.to_json() == before


def test_continue_needs_a_ticked_safety_question() -> None:
    draft = Draft()
    draft.choose_category("family_dispute", FACTS["family_dispute"])
    with pytest.raises(DraftError):
        draft.confirm_safety(facts(draft))
    draft.toggle_safety(Safety.CHILD_AT_RISK)
    draft.toggle_safety(Safety.WEAPON_OR_INJURY)
    draft.toggle_safety(Safety.CHILD_AT_RISK)  # unticked again
    draft.confirm_safety(facts(draft))
    assert draft.safety == {Safety.WEAPON_OR_INJURY}
    assert draft.co_response and draft.safety_answered
    assert draft.suggested_urgency(facts(draft)) is Urgency.IMMEDIATE


def test_none_of_these_clears_ticks_and_answers_the_screen() -> None:
    draft = Draft()
    draft.choose_category("domestic_violence", FACTS["domestic_violence"])
    draft.toggle_safety(Safety.DANGER_TO_LIFE)
    draft.no_safety_concern(facts(draft))
    assert draft.safety == frozenset() and draft.safety_answered
    assert draft.step is Step.URGENCY
    assert (
        draft.suggested_urgency(facts(draft)) is Urgency.URGENT
    )  # domestic violence is never routine


def test_a_safety_yes_added_later_makes_the_officer_confirm_urgency_again() -> None:
    draft = routine_draft()
    assert draft.urgency is Urgency.ROUTINE
    draft.edit(Step.SAFETY)
    draft.toggle_safety(Safety.SELF_HARM)
    draft.confirm_safety(facts(draft))
    assert (draft.step, draft.editing, draft.urgency) == (Step.URGENCY, True, None)
    assert draft.missing() == [Step.URGENCY]
    draft.choose_urgency(Urgency.IMMEDIATE)
    assert (draft.step, draft.editing) == (Step.REVIEW, False)


def test_an_edit_that_does_not_raise_the_suggestion_returns_to_review() -> None:
    draft = routine_draft()
    draft.edit(Step.CATEGORY)
    draft.choose_category("rental_dispute", FACTS["rental_dispute"])
    assert (draft.step, draft.urgency) == (Step.REVIEW, Urgency.ROUTINE)


def test_a_higher_urgency_than_suggested_is_kept() -> None:
    draft = Draft()
    draft.choose_category("neighbour_dispute", FACTS["neighbour_dispute"])
    draft.no_safety_concern(facts(draft))
    draft.choose_urgency(Urgency.IMMEDIATE)
    draft.back()
    draft.back()
    draft.toggle_safety(Safety.CHILD_AT_RISK)
    draft.confirm_safety(facts(draft))
    assert draft.urgency is Urgency.IMMEDIATE  # above the suggestion (urgent): the officer's call


def test_minor_questioned_now_makes_the_suggestion_immediate_for_juveniles_only() -> None:
    draft = Draft()
    draft.choose_category("juvenile", FACTS["juvenile"])
    draft.no_safety_concern(facts(draft))
    assert draft.suggested_urgency(facts(draft)) is Urgency.URGENT
    draft.toggle_appropriate_adult(facts(draft))
    assert draft.appropriate_adult_now
    assert draft.suggested_urgency(facts(draft)) is Urgency.IMMEDIATE
    draft.back()  # from the appropriate adult's questions to the urgency card
    draft.back()
    draft.back()
    draft.choose_category("family_dispute", FACTS["family_dispute"])  # not a minor after all
    assert not draft.appropriate_adult_now
    draft.no_safety_concern(facts(draft))
    with pytest.raises(DraftError):
        draft.toggle_appropriate_adult(facts(draft))


def test_not_asked_needs_a_reason_and_back_loses_nothing() -> None:
    draft = routine_draft()
    draft.edit(Step.CONSENT)
    draft.choose_consent(Consent.NOT_ASKED)
    assert draft.asking_reason and draft.consent is Consent.PERSON_AGREES
    draft.back(Step.CONSENT)
    assert (draft.step, draft.asking_reason, draft.consent) == (
        Step.CONSENT,
        False,
        Consent.PERSON_AGREES,
    )
    with pytest.raises(DraftError):
        draft.choose_not_asked_reason(NotAskedReason.NO_TIME)  # reasons are not on screen
    draft.choose_consent(Consent.NOT_ASKED)
    draft.choose_not_asked_reason(NotAskedReason.UNABLE)
    assert (draft.consent, draft.not_asked_reason) == (Consent.NOT_ASKED, NotAskedReason.UNABLE)
    assert draft.step is Step.REVIEW


def test_declined_consent_makes_a_consultation() -> None:
    draft = routine_draft()
    draft.edit(Step.CONSENT)
    draft.choose_consent(Consent.DECLINED)
    assert draft.consultation and draft.step is Step.REVIEW


def test_back_goes_one_step_even_when_tapped_twice() -> None:
    draft = Draft()
    draft.choose_category("elderly", FACTS["elderly"])
    draft.no_safety_concern(facts(draft))
    draft.back(Step.URGENCY)
    with pytest.raises(DraftError):
        draft.back(Step.URGENCY)  # the second tap of a double tap
    assert draft.step is Step.SAFETY
    draft.back(Step.SAFETY)
    draft.back(Step.CATEGORY)  # the first step has nowhere further back
    assert draft.step is Step.CATEGORY


def test_back_while_editing_returns_to_review_unchanged() -> None:
    draft = routine_draft()
    before = draft.summary
    draft.edit(Step.SUMMARY)
    draft.back(Step.SUMMARY)
    assert (draft.step, draft.editing, draft.summary) == (Step.REVIEW, False, before)


def test_edit_only_from_the_review_card_and_only_a_question() -> None:
    draft = routine_draft()
    with pytest.raises(DraftError):
        draft.edit(Step.REVIEW)
    draft.edit(Step.PLACE)
    with pytest.raises(DraftError):
        draft.edit(Step.PHONE)  # a tap on the review card that is no longer shown


def test_keep_needs_an_earlier_answer() -> None:
    draft = routine_draft()
    draft.edit(Step.PHONE)
    assert draft.can_keep()
    draft.keep()
    assert draft.step is Step.REVIEW and draft.phone == "138 0013 8000"
    fresh = Draft()
    assert not fresh.can_keep()
    with pytest.raises(DraftError):
        fresh.keep()


def test_the_name_is_optional_and_typed_before_the_age_band() -> None:
    draft = Draft(step=Step.PERSON)
    draft.type_person("  Li   Wei\n")
    assert draft.person_name == "Li Wei" and draft.step is Step.PERSON
    draft.clear_name()
    draft.choose_age_band("60_plus")
    assert draft.person_name is None and draft.step is Step.PHONE


@pytest.mark.parametrize(
    ("typed", "name", "phone"),
    [
        ("Chen Mei 138 0013 8000", "Chen Mei", "138 0013 8000"),
        ("张三13800138000", "张三", "13800138000"),
        ("张三，电话：１３８００１３８０００", "张三", "13800138000"),  # full-width, as typed
        ("13800138000 李四", "李四", "13800138000"),
        ("+86 138-0013-8000", None, "+86 138-0013-8000"),
        ("Li Wei 3", "Li Wei 3", None),  # too few digits for a phone: part of the name
        ("电话13800138000 张三", "张三", "13800138000"),  # label and number first
        ("电话：13800138000，张三", "张三", "13800138000"),
        ("Tel 138 0013 8000 Chen Mei", "Chen Mei", "138 0013 8000"),
        ("张三 13800138000 男", "张三 男", "13800138000"),  # in the middle
        ("Chantel 13800138000", "Chantel", "13800138000"),  # a name ending like "tel"
        ("张三 手机号码：13800138000", "张三", "13800138000"),
        ("Chen Mei 0086 138 0013 8000", "Chen Mei", "0086 138 0013 8000"),  # 15 digits
        ("张三 021-6431-2345-8001", "张三", "021-6431-2345-8001"),  # an extension: 15
        ("Grandpa Wang (about 80)", "Grandpa Wang (about 80)", None),
    ],
)
def test_the_name_and_phone_can_be_typed_in_one_message(
    typed: str, name: str | None, phone: str | None
) -> None:
    draft = Draft(step=Step.PERSON)
    draft.type_person(typed)
    assert (draft.person_name, draft.phone, draft.step) == (name, phone, Step.PERSON)


def test_a_phone_typed_with_the_name_is_not_asked_again() -> None:
    draft = Draft(step=Step.PERSON)
    draft.type_person("Chen Mei 138 0013 8000")
    draft.choose_age_band("adult")
    assert draft.step is Step.CONSENT and draft.phone == "138 0013 8000"
    draft.back()  # still there to change
    assert draft.step is Step.PHONE and draft.can_keep()


def test_a_name_alone_keeps_a_phone_given_before_and_the_phone_step_comes_as_always() -> None:
    draft = Draft(step=Step.PERSON)
    draft.type_person("Chen 138 0013 8000")
    draft.type_person("Chen Mei")  # the name corrected
    assert (draft.person_name, draft.phone) == ("Chen Mei", "138 0013 8000")
    plain = Draft(step=Step.PERSON)
    plain.type_person("Chen Mei")
    plain.choose_age_band("adult")
    assert plain.step is Step.PHONE


@pytest.mark.parametrize("typed", ["Chen Mei 1380013800012345678901", "Chen (021) 6431 2345"])
def test_a_bad_number_with_the_name_changes_nothing(typed: str) -> None:
    draft = Draft(step=Step.PERSON)
    with pytest.raises(DraftError) as refused:
        draft.type_person(typed)
    assert refused.value.problem is Problem.NOT_A_PHONE
    assert (draft.person_name, draft.phone) == (None, None)


def test_two_numbers_with_the_name_are_refused_not_kept_in_the_name() -> None:
    draft = Draft(step=Step.PERSON)
    with pytest.raises(DraftError) as refused:
        draft.type_person("张三 13800138000 李四 13900139000")
    assert refused.value.problem is Problem.NOT_A_PHONE
    assert (draft.person_name, draft.phone) == (None, None)


@pytest.mark.parametrize(
    "typed",
    [
        "张三 110105194912310021",
        "张三 11010519491231002X",
        "张三11010519491231002x",
        "张三 １１０１０５１９４９１２３１００２Ｘ",  # full-width, as typed
        "张三 110105491231002",  # the old 15-digit number
        "张三 110105194913320021",  # 18: an ID even when mistyped
        "110105194912310021 张三",
        "张三 电话13800138000 身份证110105194912310021",
        "张三 110105 19491231 0021",
    ],
)
def test_an_id_number_is_refused_at_the_person_step_and_nothing_is_lost(typed: str) -> None:
    draft = Draft(step=Step.PERSON)
    draft.type_person("Chen Mei 138 0013 8000")
    with pytest.raises(DraftError) as refused:
        draft.type_person(typed)
    assert refused.value.problem is Problem.ID_NUMBER
    assert (draft.person_name, draft.phone) == ("Chen Mei", "138 0013 8000")


def test_an_id_number_is_refused_at_the_phone_step() -> None:
    draft = Draft(step=Step.PHONE)
    with pytest.raises(DraftError) as refused:
        draft.type_phone("110105194912310021")
    assert refused.value.problem is Problem.ID_NUMBER
    assert draft.phone is None and draft.step is Step.PHONE


def test_a_pin_and_a_typed_place_replace_each_other() -> None:
    draft = Draft(step=Step.PLACE)
    draft.pin_location(31.2, 121.45)
    assert (draft.place, draft.latitude, draft.longitude) == (None, 31.2, 121.45)
    draft.back()
    draft.type_place("Gate of No. 12")
    assert (draft.place, draft.latitude) == ("Gate of No. 12", None)


@pytest.mark.parametrize(
    ("step", "method", "limit"),
    [
        (Step.PLACE, Draft.type_place, 200),
        (Step.PERSON, Draft.type_person, 64),
        (Step.SUMMARY, Draft.type_summary, 1000),
    ],
)
def test_typed_text_over_its_limit_is_refused_with_the_count(
    step: Step, method: Callable[[Draft, str], None], limit: int
) -> None:
    draft = Draft(step=step)
    method(draft, "x" * limit)  # exactly the limit is fine
    again = Draft(step=step)
    with pytest.raises(DraftError) as refused:
        method(again, "y" * (limit + 7))
    assert (refused.value.problem, refused.value.length, refused.value.limit) == (
        Problem.TOO_LONG,
        limit + 7,
        limit,
    )
    assert again.step is step


def test_blank_text_is_refused() -> None:
    with pytest.raises(DraftError) as refused:
        Draft(step=Step.SUMMARY).type_summary(" \n ")
    assert refused.value.problem is Problem.EMPTY


def test_the_summary_keeps_its_lines() -> None:
    draft = Draft(step=Step.SUMMARY)
    draft.type_summary("  Line one.\nLine two.  ")
    assert draft.summary == "Line one.\nLine two."


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("+86 138-0013-8000", "+86 138-0013-8000"),
        ("12345", "12345"),
        ("１３８ ００１３ ８０００", "138 0013 8000"),  # full-width digits from a Chinese keyboard
        ("  021  6431 2345 ", "021 6431 2345"),
    ],
)
def test_phone_numbers_are_checked_loosely(typed: str, kept: str) -> None:
    assert clean_phone(typed) == kept


@pytest.mark.parametrize(
    "typed",
    ["1234", "call 13800138000", "138 0013 8000 ext. 5", "1" * 21, "(021) 6431 2345", "+ - +"],
)
def test_things_that_are_not_phone_numbers_are_refused(typed: str) -> None:
    draft = Draft(step=Step.PHONE)
    with pytest.raises(DraftError) as refused:
        draft.type_phone(typed)
    assert refused.value.problem is Problem.NOT_A_PHONE
    assert draft.phone is None and draft.step is Step.PHONE


def test_missing_lists_every_gap_and_submit_goes_to_the_first() -> None:
    draft = routine_draft()
    draft.summary = None
    draft.age_band = None
    assert draft.missing() == [Step.PERSON, Step.SUMMARY]
    draft.go_to_first_missing()
    assert (draft.step, draft.editing) == (Step.PERSON, False)
    assert Draft().missing() == [
        Step.CATEGORY,
        Step.SAFETY,
        Step.URGENCY,
        Step.PLACE,
        Step.PERSON,
        Step.PHONE,
        Step.CONSENT,
        Step.SUMMARY,
    ]


def test_not_asked_without_a_reason_is_missing() -> None:
    draft = routine_draft()
    draft.consent = Consent.NOT_ASKED
    assert draft.missing() == [Step.CONSENT]


def test_json_round_trip_keeps_every_answer() -> None:
    draft = routine_draft()
    draft.edit(Step.SAFETY)
    draft.toggle_safety(Safety.CHILD_AT_RISK)
    draft.person_name = "李 <b>&"
    draft.has_button = True
    again = Draft.from_json(draft.to_json())
    assert again == draft
    assert isinstance(again.step, Step) and isinstance(again.category, str)
    assert "李" in draft.to_json()  # stored readably, not as \\u escapes


def test_json_from_an_older_version_loads_with_defaults() -> None:
    old = '{"token": "abc123", "step": "place", "category": "juvenile", "colour": "blue"}'
    draft = Draft.from_json(old)
    assert (draft.step, draft.category, draft.asking_reason) == (
        Step.PLACE,
        "juvenile",
        False,
    )


def test_a_draft_expires_after_its_lifetime_not_before() -> None:
    changed = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    assert not expired(changed, changed + timedelta(minutes=30))
    assert not expired(changed, changed + DRAFT_LIFETIME)
    assert expired(changed, changed + DRAFT_LIFETIME + timedelta(seconds=1))


def test_the_appropriate_adults_request_is_complete_before_the_urgency_counts() -> None:
    """Who is questioned, when, and the guardian: the urgency is not confirmed without
    them, and the request survives the draft's storage (a typed time too)."""
    draft = Draft()
    draft.choose_category("juvenile", FACTS["juvenile"])
    draft.no_safety_concern(facts(draft))
    draft.toggle_appropriate_adult(facts(draft))
    assert draft.asking_adult
    draft.back(Step.URGENCY)  # to the urgency card, the request unanswered
    draft.choose_urgency(Urgency.IMMEDIATE)
    assert (draft.step, draft.asking_adult) == (Step.URGENCY, True)  # the request first
    assert Step.URGENCY in draft.missing()
    draft.choose_questioning(Questioning.SUSPECT)
    at = datetime(2026, 11, 26, 13, 30, tzinfo=UTC)
    draft.questioning_starts_at(at)
    assert draft.asking_adult
    draft.choose_guardian(Guardian.UNREACHABLE)
    assert not draft.asking_adult and draft.adult_answered
    stored = Draft.from_json(draft.to_json())
    assert (stored.questioning, stored.questioning_at, stored.guardian) == (
        Questioning.SUSPECT,
        at,
        Guardian.UNREACHABLE,
    )
    assert Draft.from_parts(*draft.split_json()) == draft  # as storage keeps it
    with pytest.raises(DraftError):
        draft.toggle_at_scene()  # an appropriate adult attends anyway
    draft.toggle_appropriate_adult(facts(draft))  # not needed after all: the request goes
    assert (draft.questioning, draft.guardian, draft.questioning_at) == (None, None, None)
    draft.toggle_at_scene()
    assert draft.at_scene


def test_a_typed_questioning_time_is_the_next_such_time() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 11, 26, 13, 40, tzinfo=UTC)  # 21:40 in Shanghai
    local = {
        "21:55": "2026-11-26 21:55",
        "２１：５５": "2026-11-26 21:55",
        "9点": "2026-11-27 09:00",
        "21:20": "2026-11-26 21:20",  # just past: starting now
        "20:30": "2026-11-27 20:30",
    }
    for typed, expected in local.items():
        assert f"{clock_time(typed, now, zone).astimezone(zone):%Y-%m-%d %H:%M}" == expected
    for typed in ("25:00", "soon", "21", ""):
        with pytest.raises(DraftError):
            clock_time(typed, now, zone)


def test_what_identifies_the_person_is_in_the_sealed_part() -> None:
    """Storage seals only the personal part of a draft: the incident number, which leads
    to the police record of the person, is in it with the name, phone, place and story."""
    draft = routine_draft()
    draft.person_name, draft.phone, draft.incident_number = "李四", "61234567", "2026-12345"
    choices, personal = draft.split_json()
    for value in ("李四", "61234567", "2026-12345", draft.place, draft.summary):
        assert value is not None and value in personal and value not in choices
    assert Draft.from_parts(choices, personal) == draft
