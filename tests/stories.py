"""Helpers for referral stories: a station with an officer and a team of workers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot import labels
from bot.domain.draft import Draft
from bot.domain.referral import (
    Consent,
    Guardian,
    Questioning,
    Referral,
    Urgency,
)
from bot.i18n import Translator
from bot.sandbox import Phone
from bot.sandbox.world import World
from bot.services import people as people_service
from bot.services import referrals as referral_service
from handlers.filing import APPROPRIATE_ADULT, AT_SCENE, NEW_REFERRAL, NO_PHONE, SKIP_INCIDENT

OFFICER_ID = 101
CANARY_NAME = "Canary张三"
CANARY_PHONE = "13800138000"
CANARY_PLACE = "Canary Road 88"
CANARY_SUMMARY = "CanarySummary: shouting heard <b>& a door broken"


@dataclass
class Station:
    officer: Phone
    workers: dict[str, Phone]


async def enrol(w: World, telegram_id: int, name: str, *args: str, language: str = "en") -> Phone:
    code = await w.invite(*args, "--name", name)
    phone = w.phone(telegram_id, name, language=language)
    await phone.send(f"/start {code}")
    return phone


async def station(
    w: World,
    workers: dict[str, tuple[str, ...]],
    *,
    away: tuple[str, ...] = (),
) -> Station:
    """Officer Wang at Tianping Road; workers with their skills, available unless away."""
    officer = await enrol(
        w, OFFICER_ID, "Officer Wang", "--role", "officer", "--station", "tianping"
    )
    phones: dict[str, Phone] = {}
    for number, (name, skills) in enumerate(workers.items()):
        phone = await enrol(w, 200 + number, name, "--role", "social_worker", "--team", "xuhui-sw")
        if skills:
            status, _, err = await w.cli("skills", str(200 + number), "--set", ",".join(skills))
            assert status == 0, err
        if name not in away:
            await phone.send("/available")
        phones[name] = phone
    return Station(officer, phones)


def draft(category: str, **overrides: object) -> Draft:
    """A complete draft with canary personal data."""
    values: dict[str, object] = {
        "category": category,
        "safety_answered": True,
        "urgency": Urgency.ROUTINE,
        "place": CANARY_PLACE,
        "person_name": CANARY_NAME,
        "age_band": "18_59",
        "phone": CANARY_PHONE,
        "consent": Consent.PERSON_AGREES,
        "summary": CANARY_SUMMARY,
    }
    values.update(overrides)
    return Draft(**values)  # type: ignore[arg-type]


async def file(w: World, d: Draft) -> Referral:
    """Officer Wang files ``d`` by tapping through the screens on his phone."""
    tr = Translator("en")
    phone = w.phone(OFFICER_ID, "Officer Wang")
    assert d.category is not None and d.age_band is not None and d.consent is not None
    await phone.send(tr(NEW_REFERRAL))
    config = w.services.config
    await phone.tap(labels.category(tr, config, d.category))
    for flag in sorted(d.safety):
        await phone.tap(tr(labels.SAFETY[flag]))
    await phone.tap(tr("Continue ▶") if d.safety else tr("None of these"))
    if d.appropriate_adult_now:
        await phone.tap("⬜ " + tr(APPROPRIATE_ADULT))
        await phone.tap(tr(labels.QUESTIONING[d.questioning or Questioning.SUSPECT]))
        if d.questioning_at is not None:
            await phone.send(f"{d.questioning_at.astimezone(config.zone):%H:%M}")
        else:
            await phone.tap(tr("Questioning now"))
        await phone.tap(tr(labels.GUARDIAN[d.guardian or Guardian.PRESENT]))
    if d.at_scene:
        await phone.tap("⬜ " + tr(AT_SCENE))
    suggested = d.suggested_urgency(config.category_facts(d.category))
    urgency = d.urgency or suggested
    label = tr(labels.URGENCY[urgency])
    if urgency is suggested:
        label = "● " + tr("{urgency} (suggested)", urgency=label)
    await phone.tap(label)
    if d.latitude is not None and d.longitude is not None:
        await phone.send_location(d.latitude, d.longitude)
    else:
        assert d.place is not None
        await phone.send(d.place)
    if d.person_name:
        await phone.send(d.person_name)
    await phone.tap(labels.age_band(tr, config, d.age_band))
    if d.no_phone or not d.phone:
        await phone.tap(tr(NO_PHONE))
    else:
        await phone.send(d.phone)
    await phone.tap(tr(labels.consent_names(d.guardian_consents)[d.consent]))
    if d.not_asked_reason is not None and not d.guardian_consents:
        await phone.tap(tr(labels.NOT_ASKED[d.not_asked_reason]))
    assert d.summary is not None
    await phone.send(d.summary)
    if d.incident_number:
        await phone.send(d.incident_number)
    else:
        await phone.tap(tr(SKIP_INCIDENT))
    await phone.tap(tr("📨 Submit"))
    officer = await people_service.find(w.services, OFFICER_ID)
    assert officer is not None
    newest = (await referral_service.of_officer(w.services, officer))[0]
    assert any(f"Submitted as {newest.ref}." in text for text in phone.texts)
    return newest


async def up_to_where(officer: Phone) -> None:
    """Officer starts a routine "Other" referral and taps up to the "Where?" step."""
    await officer.send("/new")
    for label in ("Other", "None of these", "● Routine (suggested)"):
        await officer.tap(label)


async def up_to_review(
    officer: Phone, summary: str = "Lost elderly man found at the market."
) -> None:
    """Officer taps through a routine "Other" referral (no name, no phone) up to the
    review card, without submitting."""
    await up_to_where(officer)
    await officer.send("Market street")
    await officer.tap("Adult (18–59)")
    await officer.tap("No phone: visit only")
    await officer.tap("The person agrees to be contacted")
    await officer.send(summary)
    await officer.tap("Skip: no incident number")


async def close_case(
    worker: Phone, note: str = "Settled with both parties.", outcome: str = "Resolved"
) -> None:
    """The worker closes the case on the card in front of them with ``outcome`` and a
    note for the officer."""
    await worker.tap("Close case")
    await worker.tap(outcome)
    await worker.send(note)


async def linkages_followed_up(
    w: World, worker: Phone, answer: str = "✅ Yes", *, close: bool = True
) -> None:
    """The days to the linkages' follow-ups pass and ``worker`` answers each, then opens
    the case's "Linked to a resource" menu again (from /mine) and, with ``close``, taps
    "Close as linked" (offered only once a service happened: see its note question)."""
    from bot.engine import reminders  # the engine's round, as the bot runs it

    w.clock.advance(timedelta(days=w.services.config.cases.linkage_follow_up_days))
    await reminders.tick(w.services)
    await w.settle()
    for message in [m for m in worker.messages if "Did the service happen?" in m.plain]:
        if answer in message.button_labels():
            await worker.tap(answer, message=message)
    await worker.send("/mine")
    await worker.tap("Close case", message=worker.last)
    await worker.tap("Linked to a resource")
    if close:
        await worker.tap("✔ Close as linked")
