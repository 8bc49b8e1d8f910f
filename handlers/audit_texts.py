"""How /audit words a trail's line in its reader's language: pure, no Telegram.

The audit log keeps codes ("referral.revealed"), which are stable for machines and
meaningless to a coordinator reading the trail at night; this turns each into the
reader's words with :data:`bot.labels.AUDIT_ACTION`. A code missing from the table
(written by a newer version of the bot into a shared database) is shown as the code, so
reading the trail never fails.
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from bot import labels
from bot.i18n import Html, Translator
from bot.services.audit_trail import STATUS, Line, Tap

# A tap's value, by its action: a status, an outcome, a resource, a decline reason.
_VALUES: dict[str, dict[str, str]] = {
    "step": {status.value: label for status, label in labels.STATUS.items()},
    "outcome": {outcome.value: label for outcome, label in labels.OUTCOME.items()},
    "resource": {resource.value: label for resource, label in labels.RESOURCE.items()},
    "resource_typed": {resource.value: label for resource, label in labels.RESOURCE.items()},
    "decline": labels.DECLINE_BY_VALUE,
    "return_to_police": {why.value: label for why, label in labels.RETURN_REASON.items()},
}
_STATUS = {status.value: label for status, label in labels.STATUS.items()}
# Actions that say the card already ("Refused: not their case"): the card is not repeated.
_CARD_SAID = {"offer.refused": "offer", "case.refused": "case", "escalation.refused": "escalation"}


def action_text(tr: Translator, line: Line) -> str:
    """ "Assigned → Zhou Min", "Refused: not their offer: Accept", "Status: Accepted →
    Closed" (HTML: names are escaped)."""
    if line.action == STATUS and line.change is not None:
        before, after = line.change
        if before is None:  # filed
            return tr("Status: {status}", status=Html(_label(tr, _STATUS, after)))
        return tr(
            "Status: {before} → {after}",
            before=Html(_label(tr, _STATUS, before)),
            after=Html(_label(tr, _STATUS, after)),
        )
    text = _label(tr, labels.AUDIT_ACTION, line.action)
    if line.person is not None:
        text += " → " + html.escape(line.person)
    if line.tap is not None:
        return tr("{action}: {tried}", action=Html(text), tried=Html(_tap(tr, line)))
    if line.detail:
        return tr("{action}: {tried}", action=Html(text), tried=line.detail)
    return text


def line_text(tr: Translator, line: Line, zone: ZoneInfo) -> str:
    """One line of the trail: when · who · what."""
    when = f"{line.at.astimezone(zone):%Y-%m-%d %H:%M}"
    who = html.escape(line.actor) if line.actor else tr("the bot")
    return f"{when} · {who} · {action_text(tr, line)}"


def _tap(tr: Translator, line: Line) -> str:
    tap = line.tap
    assert tap is not None
    text = _tried(tr, tap)
    if _CARD_SAID.get(line.action) == tap.card:
        return text
    card = _label(tr, labels.TAP_CARD, tap.card)
    return tr("{button} ({card})", button=Html(text), card=Html(card)) if text else card


def _tried(tr: Translator, tap: Tap) -> str:
    """The button's words, its value's words, and for an Assign whom it named."""
    if not tap.verb:
        return ""
    text = _label(tr, labels.TAP_VERB, tap.verb)
    if tap.verb == "eta" and tap.value.isdigit():  # "On my way", in this many minutes
        text += " · " + tr("{minutes} min", minutes=int(tap.value))
    elif tap.value:
        text += " · " + _label(tr, _VALUES.get(tap.verb, {}), tap.value)
    if tap.person is not None:
        text += " → " + html.escape(tap.person)
    return text


def _label(tr: Translator, table: dict[str, str], code: str) -> str:
    """The code's words in the reader's language, or the code (escaped) if unknown."""
    label = table.get(code)
    return tr(label) if label is not None else html.escape(code)
