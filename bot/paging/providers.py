"""What a provider's answer means to the page sender, whichever provider it is."""

from __future__ import annotations


class Refused(Exception):
    """The provider refused this address for good (Twilio's 4xx such as 21211 "invalid
    'To' number" or 21614 "not a mobile number", the gateway's 4xx): trying again
    cannot help; the contact method is failing. ``code`` names it without personal data."""

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
