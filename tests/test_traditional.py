"""Traditional Chinese end to end: an officer whose Telegram app is set to Hong Kong
Chinese and a worker whose app is set to Taiwan Chinese go through a referral from
filing to closure, and neither ever reads a Simplified character or an English word."""

from __future__ import annotations

import re
from pathlib import Path

from bot import labels
from bot.domain.referral import Consent, Outcome, Urgency
from bot.i18n import Translator
from bot.sandbox import Phone
from bot.sandbox.world import world
from handlers.filing import SKIP_INCIDENT
from tests.conftest import CONFIG_TOML
from tests.stories import enrol
from tests.test_catalogues import simplified_only

# The deployment names its places in Traditional too; the English names stay ASCII
# and must not reach a Traditional reader.
TRADITIONAL_NAMES = CONFIG_TOML.replace(
    'name_zh = "天平路派出所"', 'name_zh = "天平路派出所"\nname_zh_hant = "天平路警署"'
).replace('name_zh = "徐汇区社工站"', 'name_zh = "徐汇区社工站"\nname_zh_hant = "徐匯區社工隊"')

OFFICER, WORKER = 301, 302
HANT = Translator("zh_Hant")


def _everything_seen(phone: Phone, answers: list[str]) -> list[str]:
    """Every text the person has seen: messages (and what edited ones said before),
    their buttons, the keyboard under the input field and the toasts of their taps."""
    seen = list(answers)
    for message in phone.bot_messages:
        seen += [message.plain, *message.history, *message.button_labels()]
    seen += [label for row in phone.reply_keyboard or [] for label in row]
    return [text for text in seen if text]


def _english_words(text: str) -> list[str]:
    """ASCII words left once a referral reference (R-7F3K) and /commands are taken out:
    a reference and a command are typed as they are."""
    text = re.sub(r"\bR-[0-9A-Z]{4}\b|/[a-z_]+", " ", text)
    return re.findall(r"[A-Za-z]+", text)


async def test_a_hong_kong_officer_and_a_taiwan_worker_read_only_traditional_chinese(
    tmp_path: Path,
) -> None:
    config_path = tmp_path / "config.toml"
    config_path.write_text(TRADITIONAL_NAMES, encoding="utf-8")
    officer_answers: list[str] = []
    worker_answers: list[str] = []

    async def tap(phone: Phone, label: str, answers: list[str]) -> None:
        answer = await phone.tap(label)
        answers.append(answer.text or "")

    async with world(config_path) as w:
        officer = await enrol(
            w, OFFICER, "陳警員", "--role", "officer", "--station", "tianping", language="zh-hk"
        )
        worker = await enrol(
            w, WORKER, "林社工", "--role", "social_worker", "--team", "xuhui-sw", language="zh-tw"
        )
        assert officer.last.plain.startswith("歡迎你，陳警員。你已登記為：警員。")
        assert worker.last.plain.startswith("歡迎你，林社工。你已登記為：社工。")
        await worker.send("/available")

        await officer.send(HANT("➕ New referral"))
        await tap(
            officer, labels.category(HANT, w.services.config, "neighbour_dispute"), officer_answers
        )
        await tap(officer, HANT("None of these"), officer_answers)
        urgency = HANT(labels.URGENCY[Urgency.ROUTINE])
        await tap(officer, "● " + HANT("{urgency} (suggested)", urgency=urgency), officer_answers)
        await officer.send("旺角彌敦道")
        await officer.send("何美玲 6123 4567")
        await tap(officer, labels.age_band(HANT, w.services.config, "18_59"), officer_answers)
        await tap(officer, HANT(labels.CONSENT[Consent.PERSON_AGREES]), officer_answers)
        await officer.send("樓上單位深夜噪音，雙方多次爭執。")
        await tap(officer, HANT(SKIP_INCIDENT), officer_answers)
        await tap(officer, HANT("📨 Submit"), officer_answers)
        ref = re.search(r"R-[0-9A-Z]{4}", officer.last.plain)
        assert ref is not None and "已提交，編號" in "\n".join(officer.texts)

        offer = worker.last.plain
        assert offer.startswith("新轉介") and "警署：天平路警署" in offer
        assert "鄰里糾紛" in offer and "何美玲" not in offer
        await tap(worker, HANT("✅ Accept"), worker_answers)
        details = "\n".join(worker.texts)
        assert "姓名：何美玲" in details and "地點：旺角彌敦道" in details
        assert any("林社工已接案。" in text for text in officer.texts)

        await tap(worker, HANT("✔ First contact made"), worker_answers)
        await tap(worker, HANT("Close case"), worker_answers)
        await tap(worker, HANT(labels.OUTCOME[Outcome.RESOLVED]), worker_answers)
        await worker.send("已與雙方調解，同意晚上十一時後保持安靜。")
        closed = officer.last.plain
        assert ref.group() in closed
        assert "林社工已結案。結果：已解決。" in closed

        # Their own commands, in their own words: who they are (with the time zone's
        # name in Traditional), and a break until tomorrow written as Hong Kong writes.
        for phone in (officer, worker):
            await phone.send("/whoami")
            assert "時間均為中國時間。" in phone.last.plain
        await worker.send("/away 2小時")
        assert worker.last.plain.startswith("你在")
        await worker.send("/away 聽日")
        await worker.send("/available")

        for who, phone, answers in (
            ("officer", officer, officer_answers),
            ("worker", worker, worker_answers),
        ):
            seen = _everything_seen(phone, answers)
            simplified = {text: simplified_only(text) for text in seen if simplified_only(text)}
            assert simplified == {}, who
            english = {text: _english_words(text) for text in seen if _english_words(text)}
            assert english == {}, (who, english)
            menu = w.telegram.commands(scope={"type": "chat", "chat_id": phone.user_id})
            assert menu and all(
                not simplified_only(text) and not _english_words(text) for _, text in menu
            ), menu


async def test_the_language_menu_offers_traditional_and_switches_to_it(config_path: Path) -> None:
    config_path.write_text(TRADITIONAL_NAMES, encoding="utf-8")
    async with world(config_path) as w:
        li = await enrol(
            w, WORKER, "Li Na", "--role", "social_worker", "--team", "xuhui-sw", language="en"
        )
        await li.send("/language")
        assert li.last.button_labels() == ["English", "简体中文", "繁體中文"]
        await li.tap("繁體中文")
        assert li.last.plain == "由現在起我會用繁體中文與你溝通。"
        await li.send("/whoami")
        assert li.last.plain.splitlines() == [
            "Li Na",
            "社工 · 徐匯區社工隊",
            "語言：繁體中文",
            "時間均為中國時間。",
        ]
        menu = w.telegram.commands(scope={"type": "chat", "chat_id": WORKER})
        assert ("help", "我可以為你做甚麼") in menu


async def test_a_traditional_reader_sees_the_simplified_name_where_none_is_configured(
    config_path: Path,
) -> None:
    """Without name_zh_hant the Simplified name is better than the English one."""
    async with world(config_path) as w:
        officer = await enrol(
            w, OFFICER, "陳警員", "--role", "officer", "--station", "xietu", language="zh-MO"
        )
        await officer.send("/whoami")
        assert officer.last.plain.splitlines()[1] == "警員 · 斜土路派出所"
        boss = await enrol(w, 303, "何主任", "--role", "coordinator", language="zh-Hant-HK")
        await boss.send("/whoami")
        assert boss.last.plain.splitlines()[1] == "協調員 · 所有警署"
