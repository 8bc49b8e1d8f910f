"""An officer's draft referral: kept in the database so it survives silence and restarts.

A tap counts only on the draft's current card: the message id and the draft's token
(in the callback data) must both match, so a tap on an older card, or on the card of
a draft that was discarded and started again, changes nothing. A change saves only
if the row is still exactly the draft it was applied to (else it is made again in one
read-check-write transaction). Where it starts from is the draft the officer's last
change saved (``Services.last_drafts``, kept in memory), so a filing step reads
nothing: the step before it left the draft there.

The draft holds personal data: nothing here logs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.domain.draft import DRAFT_LIFETIME, Draft, expired
from bot.services import Services
from storage import drafts
from storage.db import Conn
from storage.drafts import StoredDraft

__all__ = [
    "Card",
    "StoredDraft",
    "begin",
    "change",
    "current",
    "discard",
    "discard_expired",
    "on_card",
    "show_on",
]


@dataclass(frozen=True)
class Card:
    """Where a tap came from: the token in its callback data and the message it was on."""

    token: str
    message_id: int

    def shows(self, stored: StoredDraft) -> bool:
        return stored.draft.token == self.token and stored.card_message_id == self.message_id


async def _live(services: Services, tx: Conn, person_id: int) -> StoredDraft | None:
    """The person's draft, discarding it first if it has been left too long."""
    stored = await drafts.get(tx, person_id)
    if stored is not None and expired(stored.updated_at, services.clock.now()):
        await drafts.delete(tx, person_id)
        return None
    return stored


async def current(services: Services, person_id: int) -> StoredDraft | None:
    """The officer's open draft, or None (an expired one is discarded on the way).

    Read without the write lock: this runs for every message an officer types. Only an
    expired draft costs a write, which checks the expiry again before deleting. The
    draft this process last saved for the officer is taken from memory: every write of
    a draft goes through this module (or pops it, as filing does), so it is the row.
    """
    now = services.clock.now()
    hint = services.last_drafts.get(person_id)
    if hint is not None and not expired(hint.updated_at, now):
        return replace(hint, draft=replace(hint.draft))  # as saved by the last change
    stored = await drafts.get(services.db.reader, person_id)
    if stored is None or not expired(stored.updated_at, now):
        return stored
    async with services.db.write() as tx:
        return await _live(services, tx, person_id)


async def on_card(services: Services, person_id: int, card: Card) -> StoredDraft | None:
    """The open draft if ``card`` is its current card; None for a stale tap."""
    stored = await current(services, person_id)
    return stored if stored is not None and card.shows(stored) else None


async def begin(
    services: Services,
    person_id: int,
    card_message_id: int | None = None,
    *,
    has_button: bool = False,
) -> StoredDraft:
    """A fresh draft, replacing any other; ``card_message_id`` if a message already shows it.

    One statement (an upsert: atomic by itself), so no transaction around it."""
    draft = Draft(has_button=has_button)
    now = services.clock.now()
    async with services.db.statement() as conn:
        stored = await drafts.put(conn, person_id, draft, card_message_id, now)
    services.last_drafts[person_id] = stored
    return replace(stored, draft=replace(draft))  # the caller's copy: the hint stays as saved


async def show_on(services: Services, person_id: int, token: str, message_id: int) -> bool:
    """Make ``message_id`` the draft's card: taps on every earlier card become stale.
    One conditional UPDATE, atomic by itself."""
    now = services.clock.now()
    async with services.db.statement() as conn:
        shown = await drafts.set_card(conn, person_id, token, message_id, now)
    hint = services.last_drafts.pop(person_id, None)
    if shown and hint is not None and hint.draft.token == token:
        # set_card counted the row's version up; were there a write in between, the
        # hint's version is behind the row's and the next change reads it again.
        version = None if hint.version is None else hint.version + 1
        services.last_drafts[person_id] = replace(
            hint, card_message_id=message_id, updated_at=now, version=version
        )
    return shown


async def change(
    services: Services,
    person_id: int,
    apply: Callable[[Draft], None],
    card: Card | None = None,
    *,
    read: StoredDraft | None = None,
) -> StoredDraft | None:
    """Apply one answer to the open draft and save it; None if there is none (or ``card`` is
    not its current card). ``read``: the draft as this update already read it.

    ``apply`` is a :class:`~bot.domain.draft.Draft` method call; when it raises
    :class:`~bot.domain.draft.DraftError` nothing is saved and the draft is exactly as
    it was.

    Every tap and typed answer of a filing comes here, so the usual case costs one
    conditional UPDATE (the draft comes from ``read``, the hint the last change left, or
    one read), instead of a transaction that holds the lock throughout: the UPDATE saves
    only if the row is still exactly the draft the change was applied to. When it is not (a
    second tap of the same person in between), or the read found no draft, another card
    or a lapsed draft, it is made (or refused) by a read-check-write in one transaction,
    as before: the outcome is the same as if every change were made that way.
    """
    seen = read or services.last_drafts.get(person_id)
    if seen is None:
        seen = await drafts.get(services.db.reader, person_id)
    now = services.clock.now()
    if (
        seen is not None
        and (card is None or card.shows(seen))
        and not expired(seen.updated_at, now)
    ):
        draft = replace(seen.draft)  # its fields are values: the read stays as it was
        apply(draft)
        async with services.db.statement() as conn:
            saved = await drafts.put_if_unchanged(conn, seen, draft, now)
        if saved is not None:
            services.last_drafts[person_id] = saved
            return replace(saved, draft=replace(draft))
    services.last_drafts.pop(person_id, None)  # stale, or none: read it in the transaction
    async with services.db.write() as tx:
        stored = await _live(services, tx, person_id)
        if stored is None or (card is not None and not card.shows(stored)):
            return None
        draft = stored.draft
        apply(draft)
        now = services.clock.now()
        saved = await drafts.put(tx, person_id, draft, stored.card_message_id, now, before=stored)
    services.last_drafts[person_id] = saved
    return replace(saved, draft=replace(draft))


async def discard(services: Services, person_id: int, token: str | None = None) -> bool:
    """Throw the draft away (only the draft with ``token``, if given)."""
    services.last_drafts.pop(person_id, None)
    async with services.db.write() as tx:
        return await drafts.delete(tx, person_id, token)


async def discard_expired(services: Services) -> int:
    """Remove every draft left untouched past its lifetime; for a periodic clean-up."""
    services.last_drafts.clear()
    async with services.db.write() as tx:
        return await drafts.delete_untouched_since(tx, services.clock.now() - DRAFT_LIFETIME)
