"""The referral bot: configuration, domain, services, engine jobs, CLI and wiring.

python-telegram-bot 22 is moving time periods (such as ``RetryAfter.retry_after``) from
int seconds to ``timedelta`` and warns on every use of the old form. We opt in to the
new behaviour here, once, so production and tests see the same types.
"""

import os

os.environ.setdefault("PTB_TIMEDELTA", "1")
