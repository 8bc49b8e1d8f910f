"""Forget drafts and questions nobody came back to: they hold personal data that was
never filed (a draft's name and phone, a question's typed resource name). The
messages taken a day ago are forgotten here too (``bot/services/intake.py``: they
are remembered only to drop a replay after a crash).

It asks every :data:`INTERVAL`, and once at each start (see ``handlers/jobs.py``): the
cut-off is reckoned from the rows' own times in the database, so a bot restarted more
often than the interval still forgets on time.
"""

from __future__ import annotations

from datetime import timedelta

from bot.services import Services, drafts, intake, prompts

INTERVAL = timedelta(minutes=10)


async def tick(services: Services) -> int:
    """Delete drafts untouched for longer than the draft lifetime and erase lapsed
    questions; how many drafts and questions went (forgotten messages are not counted:
    they hold no personal data)."""
    await intake.forget_old(services)
    return await drafts.discard_expired(services) + await prompts.forget_expired(services)
