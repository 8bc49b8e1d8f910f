"""The names a page speaks, in the reader's language (the labels live here)."""

from __future__ import annotations

from collections.abc import Callable

from bot import labels
from bot.config import Config
from bot.domain.paging import PageContent
from bot.domain.referral import Urgency
from bot.i18n import Translator


def names(config: Config) -> Callable[[str, PageContent], tuple[str, str]]:
    """(category name, urgency name) of a page for a reader of ``language``."""

    def named(language: str, content: PageContent) -> tuple[str, str]:
        tr = Translator(language)
        try:
            urgency = tr(labels.URGENCY[Urgency(content.urgency)])
        except ValueError:
            urgency = content.urgency
        category = labels.category(tr, config, content.category) if content.category else ""
        return category, urgency

    return named
