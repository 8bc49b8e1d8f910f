"""The escalation engine: every few seconds, advance the referrals whose time has come.

State lives in the referral rows (``next_action_at``, ``level``), so after a restart
the first tick catches up on whatever fell due meanwhile, and each step is claimed in
the transaction that takes it. Offer cards that were committed but never sent (a
crash between the two) are sent again by the next tick.
"""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services
from bot.services import escalation as escalation_service
from bot.services.notices import Notice, NoticeKind
from storage import offers, people, referrals

INTERVAL = timedelta(seconds=2)
RESEND_AFTER = timedelta(seconds=30)  # long enough that a send in progress has finished


async def tick(services: Services) -> list[Notice]:
    """One round: the due escalation steps, then any card left unsent; what to deliver."""
    now = services.clock.now()
    notices: list[Notice] = []
    async with services.db.write() as tx:
        for referral in await referrals.due(tx, now):
            notices += await escalation_service.step(tx, services, referral, now)
    for offer in await offers.undelivered(services.db.reader, now - RESEND_AFTER):
        person = await people.by_id(services.db.reader, offer.person_id)
        if person is not None:
            kind = NoticeKind.ESCALATION if offer.kind == "coordinator" else NoticeKind.OFFER
            notices.append(Notice(kind, person, offer.referral_id, offer_id=offer.id))
    return notices
