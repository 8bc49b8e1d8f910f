"""The per-update context every handler receives: who is asking, in which language."""

from __future__ import annotations

from typing import Any, cast

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot, JobQueue

from bot.domain.people import Person
from bot.i18n import Translator, from_telegram
from bot.services import Services


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """PTB builds one context per update; the guard puts the enrolled person on it."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.person: Person | None = None
        self.language: str | None = None

    @property
    def services(self) -> Services:
        return cast(Services, self.bot_data["services"])

    @property
    def tr(self) -> Translator:
        """The translator for the person behind this update."""
        return Translator(self.language or self.services.config.default_language)

    def resolve_language(self, update: Update) -> str:
        """Stored choice first, then the Telegram app's language, then the deployment's."""
        user = update.effective_user
        if self.person is not None:
            self.language = self.person.language
        else:
            self.language = (
                from_telegram(user.language_code if user else None)
                or self.services.config.default_language
            )
        return self.language


BotApp = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], dict[Any, Any], JobQueue[BotContext]
]


def me(context: BotContext) -> Person:
    """The enrolled person; only call in handlers that the guard lets through as enrolled."""
    if context.person is None:
        raise RuntimeError("handler reached without an enrolled person")
    return context.person
