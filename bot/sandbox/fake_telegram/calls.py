"""One Bot API call: its parameters read the way Telegram reads them, and its refusal.

Every method of the fake takes :data:`Params` and answers with a result or raises
:class:`_Refusal`, which becomes Telegram's status code and wording, so PTB raises the
same ``BadRequest``/``Forbidden``/``RetryAfter`` it would raise in production.
:class:`ApiCall` is the record of one call, for tests and benchmarks.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any

Params = dict[str, Any]


@dataclass
class ApiCall:
    """One Bot API request as the fake received it, and whether it was refused and why."""

    method: str
    params: Params
    status: int = 200
    description: str | None = None
    #: When it arrived (``time.perf_counter``), for benchmarks.
    at: float = field(default_factory=time.perf_counter)

    @property
    def refused(self) -> bool:
        """True when the fake answered with an error instead of a result."""
        return self.status != 200


@dataclass(frozen=True)
class Upload:
    """A file in a multipart upload (``InputFile``): one field of the form, not JSON."""

    filename: str
    content: bytes
    mime_type: str | None = None


class _Refusal(Exception):
    """Raised inside API handlers; becomes an error response with Telegram's wording."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> bytes:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            data["parameters"] = {"retry_after": self.retry_after}
        return json.dumps(data).encode()


def _named_chat(params: Params) -> int | None:
    """The integer chat a call is about, if it names one."""
    raw = params.get("chat_id")
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"-?[0-9]+", raw):
        return int(raw)
    return None


def _bad(description: str) -> _Refusal:
    return _Refusal(400, f"Bad Request: {description}")


def _not_implemented(what: str) -> _Refusal:
    return _bad(f"the fake Telegram does not implement {what}")


def _as_int(params: Params, name: str, *, missing: str | None = None) -> int:
    """An integer parameter; Telegram also accepts its decimal string form."""
    value = params.get(name)
    if value is None or value == "":
        raise _bad(missing or f"{name} is empty")
    if isinstance(value, bool):
        raise _bad(f"{name} must be an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise _bad(f"{name} must be an integer")


def _as_json(value: Any) -> Any:
    """Objects may arrive JSON-encoded (form uploads) or already decoded (PTB)."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as error:
            raise _bad("can't parse JSON object") from error
    return value
