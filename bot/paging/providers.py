"""What a provider's answer means to the page sender, whichever provider it is."""

from __future__ import annotations


class Refused(Exception):
    """The provider refused this address for good (one of Twilio's recipient errors in
    :data:`bot.paging.twilio.REFUSED_CODES`, such as 21211 "invalid 'To' number" or 21614
    "not a mobile number"; the gateway's 422): trying again cannot help; the contact
    method is failing. ``code`` names it without personal data. Any other 4xx is
    :class:`Misconfigured`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Unavailable(Exception):
    """The provider could not take it now (5xx, a timeout, no connection): try again
    later. ``code`` names it without personal data. ``answered``: the provider answered
    with an error (a 5xx, a 429), so it made nothing; not so after a timeout or a lost
    connection, when it may have."""

    def __init__(self, code: str, *, answered: bool = False) -> None:
        super().__init__(code)
        self.code = code
        self.answered = answered


class Misconfigured(Unavailable):
    """The provider refused the request for a reason of the deployment's, not of this
    person's address (Twilio 21606 "From cannot send SMS", a trial account's 21608 or
    21219, a 404 from a wrong ``base_url``, a gateway 4xx other than 422): nobody's number
    is marked failing; the page is tried again with backoff like :class:`Unavailable`,
    and the sender logs it once and tells the administrators once per outage."""
