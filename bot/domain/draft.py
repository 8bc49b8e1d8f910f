"""The officer's unfinished referral, step by step, as pure data.

The draft is stored (as JSON) after every tap or message, so an officer called away
mid-way finds it again after silence or a bot restart with /resume. The steps are
in the order an officer at a scene thinks: what kind of incident, is anyone in
danger, how urgent, where, who, can we contact them, what happened.

Every change is a method that first checks the draft is at the step the change
belongs to. A tap is processed against the draft as it is *now*, so a double tap or
a tap on a keyboard drawn for an earlier step is refused instead of skipping a step.
"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
from dataclasses import dataclass, field, fields
from datetime import datetime, time, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from bot.domain.referral import (
    INCIDENT_LIMIT,
    NAME_LIMIT,
    PHONE_LIMIT,
    PLACE_LIMIT,
    SUMMARY_LIMIT,
    AgeBandId,
    CategoryFacts,
    CategoryId,
    Consent,
    Guardian,
    NotAskedReason,
    Questioning,
    Safety,
    Urgency,
    consent_choices,
    suggested_urgency,
)

DRAFT_LIFETIME = timedelta(hours=12)  # long past a shift's interruptions; personal data
PHONE_DIGITS = range(5, 21)  # 5 to 20 digits: a landline extension up to an international mobile


class Step(StrEnum):
    CATEGORY = "category"
    SAFETY = "safety"
    URGENCY = "urgency"
    PLACE = "place"
    PERSON = "person"  # optional name (and phone, in the same message), then the age band
    PHONE = "phone"
    CONSENT = "consent"
    SUMMARY = "summary"
    INCIDENT = "incident"  # the police incident number: optional, one tap to skip
    REVIEW = "review"


ORDER: tuple[Step, ...] = tuple(Step)
QUESTIONS = len(ORDER) - 1  # the review card is not a question
TEXT_STEPS = frozenset({Step.PLACE, Step.PERSON, Step.PHONE, Step.SUMMARY, Step.INCIDENT})
_URGENCY_RANK = {Urgency.IMMEDIATE: 0, Urgency.URGENT: 1, Urgency.ROUTINE: 2}


class Problem(StrEnum):
    WRONG_STEP = "wrong_step"  # an old or doubled tap; the draft has moved on
    EMPTY = "empty"
    TOO_LONG = "too_long"
    NOT_A_PHONE = "not_a_phone"
    ID_NUMBER = "id_number"  # a resident ID number where a phone number belongs
    NOT_A_TIME = "not_a_time"  # the questioning's time, typed as something else
    NOT_AN_INCIDENT_NUMBER = "not_an_incident_number"


class DraftError(ValueError):
    """A change the draft refuses; the draft is left exactly as it was."""

    def __init__(self, problem: Problem, *, length: int = 0, limit: int = 0) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.length = length
        self.limit = limit


def expired(updated_at: datetime, now: datetime) -> bool:
    """A draft untouched for :data:`DRAFT_LIFETIME` is discarded: it holds personal data."""
    return now - updated_at > DRAFT_LIFETIME


def _typed(text: str, limit: int, *, one_line: bool) -> str:
    """Typed text as kept: trimmed (one line for short fields), refused when empty or long."""
    cleaned = " ".join(text.split()) if one_line else text.strip()
    if not cleaned:
        raise DraftError(Problem.EMPTY)
    if len(cleaned) > limit:
        raise DraftError(Problem.TOO_LONG, length=len(cleaned), limit=limit)
    return cleaned


# A Mainland resident ID number (居民身份证号): 18 characters, the last a check digit or
# X (no phone number has 18 digits), or the old 15 digits: a region code, the birth
# date (YYMMDD) and a sequence. There the date must look like one, so a phone with a
# 0086 prefix or a landline with its extension (15 digits too) is not taken for an ID.
_ID_NUMBER = re.compile(
    r"(?<![\d+])(?:\d{17}[\dXx]|[1-8]\d{7}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3})(?!\d)"
)


def _has_id_number(text: str) -> bool:
    """Whether ``text`` holds something shaped like a resident ID number, also typed
    full-width or in groups ("110105 19491231 0021")."""
    text = unicodedata.normalize("NFKC", text)
    grouped = re.sub(r"(?<=\d)[ \-]+(?=[\dXx])", "", text)
    return bool(_ID_NUMBER.search(text) or _ID_NUMBER.search(grouped))


_CLOCK_TIME = re.compile(r"([01]?\d|2[0-3])\s*[:.点时]\s*([0-5]\d)?\s*分?")
# A time typed a little in the past is that time today (the questioning is starting);
# further back, it is tomorrow's.
_JUST_PAST = timedelta(minutes=30)


def clock_time(text: str, now: datetime, zone: tzinfo) -> datetime:
    """The questioning's start from a typed local time: "21:30", "9.05", "21：30",
    "21点30", "9点" (full-width digits too), the next such time in ``zone``."""
    typed = unicodedata.normalize("NFKC", text).strip()
    match = _CLOCK_TIME.fullmatch(typed)
    if match is None:
        raise DraftError(Problem.NOT_A_TIME)
    local = now.astimezone(zone)
    at = datetime.combine(local.date(), time(int(match[1]), int(match[2] or 0)), tzinfo=zone)
    if at < local - _JUST_PAST:
        at = datetime.combine(local.date() + timedelta(days=1), at.time(), tzinfo=zone)
    return at.astimezone(now.tzinfo)


def clean_phone(text: str) -> str:
    """A loosely checked phone number: digits, spaces, ``+`` and ``-``, 5 to 20 digits.

    Full-width digits from a Chinese keyboard count (NFKC turns them into ASCII); the
    number is otherwise kept as typed, because officers copy it from ID cards and
    screens in many formats and a worker only needs to be able to dial it. An ID
    number copied from the card instead is refused: it is not needed, and not a phone.
    """
    if _has_id_number(text):
        raise DraftError(Problem.ID_NUMBER)
    number = " ".join(unicodedata.normalize("NFKC", text).split())
    digits = sum(ch.isdigit() for ch in number)
    if (
        not re.fullmatch(r"[0-9 +\-]+", number)
        or digits not in PHONE_DIGITS
        or len(number) > PHONE_LIMIT
    ):
        raise DraftError(Problem.NOT_A_PHONE)
    return number


# Characters of a phone number as officers type them, on either keyboard.
_NUMBER_CHARS = "0123456789０１２３４５６７８９+＋-－()（） "
_NUMBER_RUN = re.compile(f"[{re.escape(_NUMBER_CHARS)}]+")
# Between a name and a number ("张三，电话：138…", "Chen Mei, tel 138…").
_SEPARATORS = " \t,，;；:：/、"
_PHONE_LABEL = re.compile(
    r"(?:联系电话|联系方式|电话号码|手机号码|手机号|电话|手机|(?<![A-Za-z])(?:phone|mobile|tel))$",
    re.IGNORECASE,
)


_INCIDENT_NUMBER = re.compile(r"[^\W_]+(?:[-/][^\W_]+)*")  # letters, digits, - and /


def clean_incident_number(text: str) -> str:
    """The police incident number as typed (full-width characters made ASCII): letters,
    digits, ``-`` and ``/``, at most :data:`INCIDENT_LIMIT`; anything else is refused,
    so a name or a sentence typed here by mistake is not filed as a number.

    An 18-digit number is *not* refused as an ID number: police incident numbers are
    often a region code, a date and a sequence, shaped just like one. It is sealed at
    rest for that reason too (see the migration)."""
    number = unicodedata.normalize("NFKC", text).strip()
    if not number:
        raise DraftError(Problem.EMPTY)
    if len(number) > INCIDENT_LIMIT:
        raise DraftError(Problem.TOO_LONG, length=len(number), limit=INCIDENT_LIMIT)
    if not _INCIDENT_NUMBER.fullmatch(number):
        raise DraftError(Problem.NOT_AN_INCIDENT_NUMBER)
    return number


def _digit_count(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _name_part(text: str) -> str:
    """What is left beside the number in a person message: separators and a "phone:"
    label (one before the number) dropped."""
    name = text.strip(_SEPARATORS)
    return _PHONE_LABEL.sub("", name).rstrip(_SEPARATORS)


def split_name_and_phone(text: str) -> tuple[str | None, str | None]:
    """(name, number) from one typed message: the number last ("Chen Mei 138 0013 8000",
    "张三13800138000"), first ("13800138000 李四", "电话13800138000 张三") or between
    ("张三 13800138000 男"), or only one of them.

    A run of number characters counts as the number when it holds at least as many
    digits as the shortest phone number; fewer ("Li Wei 3", "about 80)") stay in the
    name. Two such runs are refused: the name never keeps a number. The number is
    returned as typed, for :func:`clean_phone` to check.
    """
    text = " ".join(text.split())
    runs = [
        run for run in _NUMBER_RUN.finditer(text) if _digit_count(run.group()) >= PHONE_DIGITS.start
    ]
    if len(runs) > 1:
        raise DraftError(Problem.NOT_A_PHONE)
    if not runs:
        return _name_part(text) or None, None
    (run,) = runs
    parts = (_name_part(text[: run.start()]), _name_part(text[run.end() :]))
    return " ".join(part for part in parts if part) or None, run.group().strip()


@dataclass
class Draft:
    """Everything typed or tapped so far. ``editing`` returns to the review card."""

    token: str = field(default_factory=lambda: secrets.token_hex(3))
    step: Step = Step.CATEGORY
    editing: bool = False
    category: CategoryId | None = None
    safety: frozenset[Safety] = frozenset()
    safety_answered: bool = False
    appropriate_adult_now: bool = False
    # The appropriate adult's request, asked on the urgency card once it is ticked:
    # suspect or victim/witness, now or at a time, the guardian there or not.
    questioning: Questioning | None = None
    questioning_now: bool = False
    questioning_at: datetime | None = None
    guardian: Guardian | None = None
    asking_adult: bool = False  # the urgency card shows those questions
    # Not a co-response, but the officer asks for a worker to come to the scene.
    at_scene: bool = False
    urgency: Urgency | None = None
    place: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    person_name: str | None = None
    age_band: AgeBandId | None = None
    phone: str | None = None
    no_phone: bool = False
    consent: Consent | None = None
    not_asked_reason: NotAskedReason | None = None
    summary: str | None = None
    incident_number: str | None = None
    # The age band is a child's (see ``AgeBandSettings.guardian_consents``): the consent
    # step asks for the guardian's.
    guardian_consents: bool = False
    # The consent card shows the "why not asked?" reasons; nothing is recorded until one
    # is tapped, so Back from the reasons loses no earlier answer.
    asking_reason: bool = False
    # Started from the persistent "New referral" button: the officer's app already shows
    # it, so filing need not send it again.
    has_button: bool = False

    @property
    def co_response(self) -> bool:
        return bool(self.safety)

    @property
    def adult_answered(self) -> bool:
        """The appropriate adult's request says who is questioned, when, and the guardian."""
        when = self.questioning_now or self.questioning_at is not None
        return self.questioning is not None and when and self.guardian is not None

    @property
    def consultation(self) -> bool:
        """Consent declined: the officer asks a worker's advice; nobody contacts the person."""
        return self.consent is Consent.DECLINED

    @property
    def number(self) -> int:
        """The step's place in the flow, 1 to :data:`QUESTIONS`, for "step 4 of 8"."""
        return min(ORDER.index(self.step) + 1, QUESTIONS)

    def suggested_urgency(self, facts: CategoryFacts) -> Urgency:
        """``facts``: what the configuration says about the chosen category."""
        assert self.category is not None
        return suggested_urgency(facts, self.safety, self.appropriate_adult_now)

    # -- moving between steps ---------------------------------------------------------

    def expect(self, step: Step) -> None:
        """Refuse a change meant for another step (an old or doubled tap)."""
        if self.step is not step:
            raise DraftError(Problem.WRONG_STEP)

    def advance(self) -> None:
        """Go to the next step, or back to the review card when editing one field."""
        if self.editing or self.step is Step.REVIEW:
            self.step, self.editing = Step.REVIEW, False
            return
        self.step = ORDER[ORDER.index(self.step) + 1]

    def back(self, step: Step | None = None) -> None:
        """One step back; from the consent reasons back to the consent answers first.

        ``step`` is the step the Back button was drawn for, so a double tap goes back once.
        """
        if step is not None:
            self.expect(step)
        if self.asking_reason:
            self.asking_reason = False
        elif self.asking_adult:
            self.asking_adult = False
        elif self.editing:
            self.step, self.editing = Step.REVIEW, False
        elif self.step is not Step.CATEGORY:
            self.step = ORDER[ORDER.index(self.step) - 1]

    def edit(self, step: Step) -> None:
        """From the review card to one step; answering it returns to the review card."""
        self.expect(Step.REVIEW)
        if step is Step.REVIEW:
            raise DraftError(Problem.WRONG_STEP)
        self.step, self.editing, self.asking_reason = step, True, False
        self.asking_adult = False

    def keep(self) -> None:
        """Leave a typed answer given earlier as it is (after Back or Edit) and move on."""
        if not self.can_keep():
            raise DraftError(Problem.WRONG_STEP)
        self.advance()

    def can_keep(self) -> bool:
        """Whether the current typed step already has an answer that Keep would confirm."""
        answered = {
            Step.PLACE: bool(self.place) or self.latitude is not None,
            Step.PHONE: bool(self.phone) or self.no_phone,
            Step.SUMMARY: bool(self.summary),
            Step.INCIDENT: bool(self.incident_number),
        }
        return answered.get(self.step, False)

    # -- the answers, one method per tap or typed message ------------------------------

    def choose_category(self, category: CategoryId, facts: CategoryFacts) -> None:
        """``category`` must be one the configuration lists (the caller checks: a tap's
        data is untrusted); ``facts`` are what it says about it."""
        self.expect(Step.CATEGORY)
        self.category = category
        if not facts.asks_appropriate_adult:
            self._no_adult()
        self._after_risk_answer(facts)

    def toggle_safety(self, item: Safety) -> None:
        """Tick or untick one safety question; Continue confirms the ticks."""
        self.expect(Step.SAFETY)
        self.safety = self.safety ^ {item}

    def no_safety_concern(self, facts: CategoryFacts) -> None:
        """ "None of these": one tap answers all four questions no."""
        self.expect(Step.SAFETY)
        self.safety, self.safety_answered = frozenset(), True
        self._after_risk_answer(facts)

    def confirm_safety(self, facts: CategoryFacts) -> None:
        self.expect(Step.SAFETY)
        if not self.safety:
            raise DraftError(Problem.WRONG_STEP)  # Continue is drawn only once one is ticked
        self.safety_answered = True
        self._after_risk_answer(facts)

    def toggle_appropriate_adult(self, facts: CategoryFacts) -> None:
        """A minor about to be questioned needs an appropriate adult first: the suggestion
        becomes immediate. Offered for the categories whose workers need that training."""
        self.expect(Step.URGENCY)
        if self.category is None or not facts.asks_appropriate_adult or self.asking_adult:
            raise DraftError(Problem.WRONG_STEP)
        if self.appropriate_adult_now:
            self._no_adult()
        else:  # the request's questions come next, on the same card
            self.appropriate_adult_now, self.asking_adult = True, True

    def _no_adult(self) -> None:
        self.appropriate_adult_now, self.asking_adult = False, False
        self.questioning, self.guardian = None, None
        self.questioning_now, self.questioning_at = False, None

    def edit_adult(self) -> None:
        """From the urgency card back to the appropriate adult's questions."""
        self.expect(Step.URGENCY)
        if not self.appropriate_adult_now or self.asking_adult:
            raise DraftError(Problem.WRONG_STEP)
        self.asking_adult = True

    def _adult_answer(self) -> None:
        """Each answer is taken on the questions' card; once all three are given, the
        urgency card comes back, showing them."""
        self.expect(Step.URGENCY)
        if not self.asking_adult:
            raise DraftError(Problem.WRONG_STEP)

    def _after_adult_answer(self) -> None:
        if self.adult_answered:
            self.asking_adult = False

    def choose_questioning(self, questioning: Questioning) -> None:
        self._adult_answer()
        self.questioning = questioning
        self._after_adult_answer()

    def questioning_starts_now(self) -> None:
        self._adult_answer()
        self.questioning_now, self.questioning_at = True, None
        self._after_adult_answer()

    def questioning_starts_at(self, at: datetime) -> None:
        """``at``: a time the caller read from a button or a typed HH:MM (with its clock)."""
        self._adult_answer()
        self.questioning_now, self.questioning_at = False, at
        self._after_adult_answer()

    def choose_guardian(self, guardian: Guardian) -> None:
        self._adult_answer()
        self.guardian = guardian
        self._after_adult_answer()

    def toggle_at_scene(self) -> None:
        """Ask for a worker to come to the scene (one tap; a co-response always does)."""
        self.expect(Step.URGENCY)
        if self.co_response or self.appropriate_adult_now or self.asking_adult:
            raise DraftError(Problem.WRONG_STEP)
        self.at_scene = not self.at_scene

    def choose_urgency(self, urgency: Urgency) -> None:
        self.expect(Step.URGENCY)
        if self.asking_adult:
            raise DraftError(Problem.WRONG_STEP)
        self.urgency = urgency
        if self.appropriate_adult_now and not self.adult_answered:
            self.asking_adult = True  # the request is not complete: its questions first
            return
        self.advance()

    def type_place(self, text: str) -> None:
        self.expect(Step.PLACE)
        self.place = _typed(text, PLACE_LIMIT, one_line=True)
        self.latitude = self.longitude = None
        self.advance()

    def pin_location(self, latitude: float, longitude: float) -> None:
        self.expect(Step.PLACE)
        self.latitude, self.longitude, self.place = latitude, longitude, None
        self.advance()

    def type_person(self, text: str) -> None:
        """The name, the phone, or both in one message ("Chen Mei 138 0013 8000").

        Optional and costs no tap: the card stays, waiting for the age band. Typing the
        phone here saves the officer a typed message (and the phone step is not asked,
        see :meth:`choose_age_band`). A part left out keeps what was given before, so a
        corrected name does not drop the number. A number that is not one refuses the
        whole message: nothing half-taken.
        """
        self.expect(Step.PERSON)
        if _has_id_number(text):  # an X at its end would leave it in the name
            raise DraftError(Problem.ID_NUMBER)
        name, number = split_name_and_phone(text)
        phone = clean_phone(number) if number is not None else None
        if name is not None:
            self.person_name = _typed(name, NAME_LIMIT, one_line=True)
        elif phone is None:
            raise DraftError(Problem.EMPTY)
        if phone is not None:
            self.phone, self.no_phone = phone, False

    def clear_name(self) -> None:
        self.expect(Step.PERSON)
        self.person_name = None

    def choose_age_band(self, band: AgeBandId, *, guardian: bool = False) -> None:
        """The age band ends the person step; a phone already typed (with the name) is
        not asked again. Back from the next step still shows it, to change or keep.

        ``guardian``: the band is a child's, so the consent is the guardian's. A consent
        given for the other kind of band no longer fits and is asked again (editing from
        the review card: at once, then back to the review card)."""
        self.expect(Step.PERSON)
        self.age_band = band
        if guardian != self.guardian_consents:
            self.guardian_consents = guardian
            unfit_answer = self.consent is not None and self.consent not in consent_choices(
                guardian
            )
            unfit_reason = self.not_asked_reason is not None and (
                (self.not_asked_reason is NotAskedReason.GUARDIAN_NOT_REACHED) != guardian
            )
            if unfit_answer or unfit_reason:
                self.consent, self.not_asked_reason = None, None
                if self.editing:
                    self.step = Step.CONSENT  # ``editing`` stays: answer, then review
                    return
        self.advance()
        if self.step is Step.PHONE and self.phone:
            self.advance()

    def type_phone(self, text: str) -> None:
        self.expect(Step.PHONE)
        self.phone, self.no_phone = clean_phone(text), False
        self.advance()

    def choose_no_phone(self) -> None:
        """No phone: a worker can only visit (often an elderly person without a mobile)."""
        self.expect(Step.PHONE)
        self.phone, self.no_phone = None, True
        self.advance()

    def choose_consent(self, consent: Consent) -> None:
        """One of :func:`consent_choices` for the band (a tap's data is untrusted). For
        a child, "not asked" is "guardian not reached": no reasons card to tap through."""
        self.expect(Step.CONSENT)
        if consent not in consent_choices(self.guardian_consents):
            raise DraftError(Problem.WRONG_STEP)
        if consent is Consent.NOT_ASKED and self.guardian_consents:
            self.consent, self.asking_reason = Consent.NOT_ASKED, False
            self.not_asked_reason = NotAskedReason.GUARDIAN_NOT_REACHED
            self.advance()
            return
        if consent is Consent.NOT_ASKED:
            self.asking_reason = True  # the reasons come next, on the same card
            return
        self.consent, self.not_asked_reason, self.asking_reason = consent, None, False
        if consent is Consent.DECLINED:
            # Self-determination: without consent, nothing that identifies the person
            # is passed on; a consultation needs only the situation.
            self.person_name, self.phone, self.no_phone = None, None, False
        self.advance()

    def choose_not_asked_reason(self, reason: NotAskedReason) -> None:
        self.expect(Step.CONSENT)
        if not self.asking_reason or reason is NotAskedReason.GUARDIAN_NOT_REACHED:
            raise DraftError(Problem.WRONG_STEP)
        self.consent, self.not_asked_reason, self.asking_reason = Consent.NOT_ASKED, reason, False
        self.advance()

    def type_summary(self, text: str) -> None:
        self.expect(Step.SUMMARY)
        self.summary = _typed(text, SUMMARY_LIMIT, one_line=False)
        self.advance()

    def type_incident_number(self, text: str) -> None:
        self.expect(Step.INCIDENT)
        self.incident_number = clean_incident_number(text)
        self.advance()

    def skip_incident_number(self) -> None:
        """Optional: one tap goes on without it (and takes away one given before)."""
        self.expect(Step.INCIDENT)
        self.incident_number = None
        self.advance()

    def _after_risk_answer(self, facts: CategoryFacts) -> None:
        """Move on, but never leave a confirmed urgency below what the answers now suggest.

        Editing the category or the safety answers can raise the suggestion; the officer
        then confirms the urgency again before returning to the review card.
        """
        if self.urgency is not None and self.category is not None:
            suggested = self.suggested_urgency(facts)
            if _URGENCY_RANK[self.urgency] > _URGENCY_RANK[suggested]:
                self.urgency = None
                if self.editing:
                    self.step = Step.URGENCY  # ``editing`` stays: confirm, then review
                    return
        self.advance()

    # -- checks and storage --------------------------------------------------------------

    def missing(self) -> list[Step]:
        """Steps still unanswered; submit is refused until this is empty."""
        gaps = []
        if self.category is None:
            gaps.append(Step.CATEGORY)
        if not self.safety_answered:
            gaps.append(Step.SAFETY)
        if self.urgency is None or (self.appropriate_adult_now and not self.adult_answered):
            gaps.append(Step.URGENCY)
        if not self.place and self.latitude is None:
            gaps.append(Step.PLACE)
        if self.age_band is None:
            gaps.append(Step.PERSON)
        if not self.phone and not self.no_phone and not self.consultation:
            gaps.append(Step.PHONE)
        if self.consent is None or (
            self.consent is Consent.NOT_ASKED and self.not_asked_reason is None
        ):
            gaps.append(Step.CONSENT)
        if not self.summary:
            gaps.append(Step.SUMMARY)
        return gaps

    def go_to_first_missing(self) -> None:
        """Submit refused: answer the first gap, then carry on through the steps after it."""
        gaps = self.missing()
        if gaps:
            self.step, self.editing, self.asking_reason = gaps[0], False, False
            self.asking_adult = False

    def to_json(self) -> str:
        """Every field by name. Not ``asdict``: it deep-copies each value on the way, and
        a draft is written on every tap; the fields are plain values already."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _FIELD_NAMES}
        data["safety"] = sorted(self.safety)
        if self.questioning_at is not None:
            data["questioning_at"] = self.questioning_at.isoformat()
        return json.dumps(data, ensure_ascii=False)

    def split_json(self) -> tuple[str, str]:
        """(choices, personal): the draft as two JSON texts, stored apart so that only
        what identifies a person is sealed (storage/drafts.py). A tap on a choice then
        leaves the personal text as it was and costs no encryption; most of a filing's
        steps are taps. :meth:`from_json` of the two merged is the draft again."""
        choices: dict[str, Any] = {}
        personal: dict[str, Any] = {}
        for name in _FIELD_NAMES:
            (personal if name in PERSONAL_FIELDS else choices)[name] = getattr(self, name)
        choices["safety"] = sorted(self.safety)
        if self.questioning_at is not None:
            choices["questioning_at"] = self.questioning_at.isoformat()
        return json.dumps(choices, ensure_ascii=False), json.dumps(personal, ensure_ascii=False)

    @classmethod
    def from_parts(cls, choices: str, personal: str) -> Draft:
        """The draft from :meth:`split_json`'s two texts. A draft stored whole (before
        the split) is read with ``choices`` "{}": every field is in ``personal`` then."""
        raw: dict[str, Any] = json.loads(personal)
        raw.update(json.loads(choices))
        return cls._from_dict(raw)

    @classmethod
    def from_json(cls, text: str) -> Draft:
        return cls._from_dict(json.loads(text))

    @classmethod
    def _from_dict(cls, raw: dict[str, Any]) -> Draft:
        data = {k: v for k, v in raw.items() if k in _FIELD_NAMES}
        draft = cls(**data)
        draft.step = Step(draft.step)
        draft.safety = frozenset(Safety(s) for s in raw.get("safety", []))
        for name, kind in (
            ("urgency", Urgency),
            ("consent", Consent),
            ("not_asked_reason", NotAskedReason),
            ("questioning", Questioning),
            ("guardian", Guardian),
        ):
            value = getattr(draft, name)
            if value is not None:
                setattr(draft, name, kind(value))
        if isinstance(draft.questioning_at, str):
            draft.questioning_at = datetime.fromisoformat(draft.questioning_at)
        return draft


_FIELD_NAMES = {f.name: None for f in fields(Draft)}  # in order, and quick to look up in
# What identifies the person or tells what happened to them: sealed at rest. The other
# fields are the officer's choices (category, urgency, safety, age band, consent …),
# which a filed referral keeps in clear columns too.
# The police incident number leads to the police record of the person: sealed too.
PERSONAL_FIELDS = frozenset(
    {"place", "latitude", "longitude", "person_name", "phone", "summary", "incident_number"}
)
