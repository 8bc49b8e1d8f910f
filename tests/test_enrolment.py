"""Enrolment and roles, told the way the people live them, through their phones."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.people import Role
from bot.domain.strangers import WINDOW
from bot.sandbox import FakeTelegram
from bot.sandbox.world import world
from bot.services import people as people_service
from handlers import commands
from storage import audit
from tests.conftest import ADMIN_ID

OFFICER, WORKER, STRANGER = 101, 202, 303


async def test_cli_invite_redeemed_by_start_and_whoami_shows_the_role(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite(
            "--role", "officer", "--station", "tianping", "--name", "Officer Wang"
        )
        wang = w.phone(OFFICER, "Wang", language="en")
        await wang.send(f"/start {code}")
        assert "Welcome, Officer Wang. You are now enrolled as: Officer." in wang.last.plain
        assert "/whoami" in wang.last.plain and "/invite" not in wang.last.plain
        assert wang.reply_keyboard == [["➕ New referral"]]  # filing is one tap away

        await wang.send("/whoami")
        assert wang.last.plain.splitlines() == [
            "Officer Wang",
            "Officer · Tianping Road Station",
            "Language: English",
            "All times are China Time.",
        ]
        redeemed = await audit.entries(w.services.db.reader, action="invite.redeemed")
        assert [e.actor_telegram_id for e in redeemed] == [OFFICER]


async def test_a_used_code_is_refused_and_recorded(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "social_worker", "--team", "xuhui-sw")
        await w.phone(WORKER, "Li").send(f"/start {code}")
        other = w.phone(STRANGER, "Zhao")
        await other.send(f"/start {code}")
        assert "already been used" in other.last.plain
        await other.send("/whoami")
        assert "only people who have been invited" in other.last.plain
        failed = await audit.entries(w.services.db.reader, action="invite.failed")
        assert [(e.actor_telegram_id, e.detail) for e in failed] == [(STRANGER, "used")]


async def test_an_expired_code_is_refused(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "xietu", "--expires", "90m")
        w.clock.advance(timedelta(minutes=91))
        late = w.phone(OFFICER, "Wang")
        await late.send(f"/start {code}")
        assert "That invite has expired" in late.last.plain
        await late.send("/whoami")
        assert "only people who have been invited" in late.last.plain


async def test_a_code_typed_by_hand_works_in_any_case_and_spacing(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "xietu")
        typed = f"{code[:4].lower()} {code[4:8]} {code[8:].lower()}"
        phone = w.phone(OFFICER, "Wang")
        await phone.send(typed)
        assert "You are now enrolled as: Officer." in phone.last.plain


async def test_a_stranger_gets_an_explanation_and_nothing_else(config_path: Path) -> None:
    async with world(config_path) as w:
        stranger = w.phone(STRANGER, "Curious", language="zh-hans")
        for text in ("hello", "/whoami", "/invite", "/help", "/start"):
            w.clock.advance(WINDOW)  # answered once a window (tests/test_guard.py)
            await stranger.send(text)
            assert stranger.last.plain.startswith("你好。本机器人用于连接派出所和社工")
            assert stranger.last.buttons == []
        w.clock.advance(WINDOW)
        await stranger.send_photo()
        assert stranger.last.plain.startswith("你好。")
        answer = await stranger.tap_data("inv:admin", message_id=stranger.last.message_id)
        assert answer.show_alert and answer.text and answer.text.startswith("只有受到邀请的人")
        assert len(stranger.bot_messages) == 6  # one reply per message, nothing more
        assert await audit.entries(w.services.db.reader, action="invite.created") == []


async def test_five_wrong_codes_an_hour_then_wait(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        guesser = w.phone(STRANGER, "Guess")
        for attempt in range(5):
            await guesser.send(f"/start WRONGCODE{attempt:03d}")
            assert "not valid" in guesser.last.plain
        await guesser.send(f"/start {code}")  # even the right code waits now
        assert "Too many wrong codes" in guesser.last.plain
        w.clock.advance(timedelta(minutes=61))
        await guesser.send(f"/start {code}")
        assert "You are now enrolled as: Officer." in guesser.last.plain
        throttled = await audit.entries(w.services.db.reader, action="invite.throttled")
        assert len(throttled) == 1


async def test_language_switches_texts_and_menu_to_chinese(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "social_worker", "--team", "xuhui-sw", "--name", "Li Na")
        li = w.phone(WORKER, "Li", language="en")
        await li.send(f"/start {code}")
        assert ("help", "What I can do for you") in w.telegram.commands(
            scope={"type": "chat", "chat_id": WORKER}
        )
        await li.send("/language")
        await li.tap("简体中文")
        assert li.last.plain == "从现在起我将使用简体中文与你交流。"
        assert li.last.buttons == []
        await li.send("/whoami")
        assert li.last.plain.splitlines() == [
            "Li Na",
            "社工 · 徐汇区社工站",
            "语言：简体中文",
            "时间均为中国时间。",
        ]
        menu = w.telegram.commands(scope={"type": "chat", "chat_id": WORKER})
        assert ("whoami", "你的角色、派出所或社工站") in menu
        assert "invite" not in [name for name, _ in menu]
        await li.send("/language")
        await li.tap("English")
        await li.send("/help")
        assert li.last.plain.startswith("Here is what you can do:")


async def test_chinese_is_chosen_from_the_telegram_app_language(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        zhang = w.phone(OFFICER, "张", language="zh-hans")
        await zhang.send(f"/start {code}")
        assert zhang.last.plain.startswith("欢迎你，张。你已登记为：民警。")


async def test_a_restart_on_the_same_database_keeps_everyone(config_path: Path) -> None:
    telegram = FakeTelegram()
    async with world(config_path, telegram=telegram) as w:
        code = await w.invite("--role", "officer", "--station", "tianping", "--name", "Wang")
        clock = w.clock
        await w.phone(OFFICER, "Wang").send(f"/start {code}")
        await w.phone(OFFICER, "Wang").send("/language")
        await w.phone(OFFICER, "Wang").tap("简体中文")
    async with world(config_path, clock=clock, telegram=telegram) as again:
        wang = again.phone(OFFICER, "Wang")
        await wang.send("/whoami")
        assert wang.last.plain.splitlines()[:2] == ["Wang", "民警 · 天平路派出所"]


async def test_configured_admin_invites_in_chat_with_buttons(config_path: Path) -> None:
    async with world(config_path) as w:
        admin = w.phone(ADMIN_ID, "Admin", language="en")
        await admin.send("/start")
        assert "/invite" in admin.last.plain
        menu = w.telegram.commands(scope={"type": "chat", "chat_id": ADMIN_ID})
        assert ("invite", "Invite a person to the bot") in menu
        await admin.send("/invite")
        assert admin.last.button_labels() == [
            "Officer",
            "Social worker",
            "Coordinator",
            "Administrator",
            "Cancel",
        ]
        await admin.tap("Officer")
        assert admin.last.plain == "Which station does the officer work at?"
        await admin.tap("Xietu Road Station")
        card = admin.last.plain
        assert "Invite for: Officer · Xietu Road Station" in card
        link = next(line for line in card.splitlines() if line.startswith("Link: "))
        code = link.rsplit("start=", 1)[1]
        assert admin.last.buttons == []  # the card is finished: no buttons left to double-tap

        officer = w.phone(OFFICER, "Chen")
        await officer.send(f"/start {code}")
        await officer.send("/whoami")
        assert "Officer · Xietu Road Station" in officer.last.plain


async def test_coordinator_invite_for_all_stations(config_path: Path) -> None:
    async with world(config_path) as w:
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/invite")
        await admin.tap("Coordinator")
        await admin.tap("All stations (overnight cover)")
        assert "Invite for: Coordinator · all stations" in admin.last.plain


async def test_invite_cancel_makes_nothing(config_path: Path) -> None:
    async with world(config_path) as w:
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/invite")
        await admin.tap("Social worker")
        await admin.tap("Cancel")
        assert admin.last.plain == "No invite was made."
        assert await audit.entries(w.services.db.reader, action="invite.created") == []


async def test_only_admins_may_invite_even_with_forged_buttons(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        officer = w.phone(OFFICER, "Wang")
        await officer.send(f"/start {code}")
        await officer.send("/invite")
        assert officer.last.plain == "Sorry, that is not something your role can do here."
        answer = await officer.tap_data("inv:admin", message_id=officer.last.message_id)
        assert answer.show_alert
        assert answer.text == "Sorry, that is not something your role can do here."
        created = await audit.entries(w.services.db.reader, action="invite.created")
        assert len(created) == 1  # only the command-line invite


async def test_a_deactivated_person_is_refused(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        officer = w.phone(OFFICER, "Wang")
        await officer.send(f"/start {code}")
        status, out, _ = await w.cli("deactivate", str(OFFICER))
        assert status == 0 and "deactivated" in out
        await officer.send("/whoami")
        assert "access to this bot has been turned off" in officer.last.plain
        await w.cli("reactivate", str(OFFICER))
        await officer.send("/whoami")
        assert officer.last.plain.startswith("Wang")


async def test_names_with_markup_are_shown_literally(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite(
            "--role", "officer", "--station", "tianping", "--name", "<b>Li & Co</b>"
        )
        officer = w.phone(OFFICER, "x")
        await officer.send(f"/start {code}")
        assert "Welcome, <b>Li & Co</b>." in officer.last.plain
        await officer.send("/whoami")
        assert officer.last.plain.splitlines()[0] == "<b>Li & Co</b>"


async def test_photos_and_unknown_text_get_a_polite_hint(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        officer = w.phone(OFFICER, "Wang")
        await officer.send(f"/start {code}")
        await officer.send_sticker()
        assert "Please type your message as text" in officer.last.plain
        await officer.send("what now?")
        assert "/help shows what you can do" in officer.last.plain


async def test_stranger_menu_is_published_in_each_language(config_path: Path) -> None:
    async with world(config_path) as w:
        private = {"type": "all_private_chats"}
        assert [n for n, _ in w.telegram.commands(scope=private)] == ["start", "help"]
        assert w.telegram.commands(scope=private, language_code="zh")[0] == (
            "start",
            "用邀请码加入",
        )
        assert w.telegram.commands(scope=private, language_code="en")[0] == (
            "start",
            "Join with an invite code",
        )
        assert w.telegram.commands() == []  # groups see no menu from us


@pytest.mark.expect_errors
async def test_an_unexpected_error_is_logged_apologised_for_and_survived(
    config_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping", "--name", "Wang Canary")
        officer = w.phone(OFFICER, "Wang", language="en")
        await officer.send(f"/start {code}")

        async def broken(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(people_service, "set_language", broken)
        await officer.send("/language")
        answer = await officer.tap("简体中文")
        assert answer.show_alert
        assert (
            answer.text == "Sorry, something went wrong on my side. Please try again in a moment."
        )
        assert "unexpected error handling update" in caplog.text
        assert "Canary" not in caplog.text

        monkeypatch.undo()
        await officer.send("/whoami")  # the bot is still running
        assert officer.last.plain.startswith("Wang Canary")


async def test_the_telegram_language_is_stored_at_enrolment(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "social_worker", "--team", "xuhui-sw")
        await w.phone(WORKER, "Li", language="en-GB").send(f"/start {code}")
        person = await people_service.find(w.services, WORKER)
        assert person is not None and person.language == "en"  # later notices are English too


async def test_a_second_role_keeps_the_first_roles_scope(config_path: Path) -> None:
    async with world(config_path) as w:
        worker_code = await w.invite("--role", "social_worker", "--team", "xuhui-sw")
        coordinator_code = await w.invite("--role", "coordinator")
        li = w.phone(WORKER, "Li")
        await li.send(f"/start {worker_code}")
        await li.send(coordinator_code)  # typed by hand, while already enrolled
        assert "You are now enrolled as: Coordinator." in li.last.plain
        await li.send("/whoami")
        assert li.last.plain.splitlines()[1:3] == [
            "Social worker · Xuhui Social Work Station",
            "Coordinator · all stations",
        ]


async def test_editing_an_old_start_message_does_not_replay_it(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        officer = w.phone(OFFICER, "Wang")
        await officer.send(f"/start {code}")
        replies = len(officer.bot_messages)
        await officer.edit(officer.messages[0], f"/start {code} ")
        assert len(officer.bot_messages) == replies
        assert await audit.entries(w.services.db.reader, action="invite.failed") == []


async def test_a_double_tap_on_the_invite_card_makes_one_invite(config_path: Path) -> None:
    async with world(config_path) as w:
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/invite")
        await admin.tap("Officer")
        card = admin.last
        station_button = card.button("Tianping Road Station")
        assert station_button is not None and station_button.callback_data is not None
        await admin.tap("Tianping Road Station")
        again = await admin.tap_data(station_button.callback_data, message_id=card.message_id)
        assert again.text == "The invite was already made; it is in this chat."
        assert len(await audit.entries(w.services.db.reader, action="invite.created")) == 1
        assert "Invite for: Officer · Tianping Road Station" in admin.last.plain


async def test_an_overlong_name_is_refused_at_the_command_line(config_path: Path) -> None:
    async with world(config_path) as w:
        status, _, err = await w.cli("invite", "--role", "admin", "--name", "x" * 65)
        assert status == 1 and "1 to 64 characters" in err


async def test_an_unknown_button_is_answered_not_left_spinning(config_path: Path) -> None:
    async with world(config_path) as w:
        admin = w.phone(ADMIN_ID, "Admin")
        await admin.send("/help")
        answer = await admin.tap_data("ref:accept:17", message_id=admin.last.message_id)
        assert answer.text == "This button is no longer active."


async def test_strangers_in_groups_get_nothing_but_taps_are_answered(config_path: Path) -> None:
    async with world(config_path) as w:
        group = w.telegram.group(-100_555, "Station chat")
        stranger = w.phone(STRANGER, "Someone")
        await group.send(stranger, "/help")
        assert group.bot_messages == []
        answer = await group.tap_data(stranger, "inv:admin", message_id=1)
        assert answer.text is None


async def test_deactivated_person_loses_their_role_menu(config_path: Path) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        officer = w.phone(OFFICER, "Wang")
        await officer.send(f"/start {code}")
        await w.cli("deactivate", str(OFFICER))
        await officer.send("/help")
        menu = w.telegram.commands(scope={"type": "chat", "chat_id": OFFICER})
        assert [name for name, _ in menu] == ["start", "help"]


async def test_a_new_release_republishes_everyones_menu(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    telegram = FakeTelegram()
    async with world(config_path, telegram=telegram) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        await w.phone(OFFICER, "Wang").send(f"/start {code}")
        clock = w.clock
    new_command = commands.Command("mine", "My referrals", frozenset({Role.OFFICER}))
    monkeypatch.setattr(commands, "COMMANDS", (*commands.COMMANDS, new_command))
    async with world(config_path, clock=clock, telegram=telegram):
        menu = telegram.commands(scope={"type": "chat", "chat_id": OFFICER})
        assert ("mine", "My referrals") in menu


async def test_commands_in_a_group_are_ignored_even_from_enrolled_people(
    config_path: Path,
) -> None:
    async with world(config_path) as w:
        code = await w.invite("--role", "officer", "--station", "tianping")
        officer = w.phone(OFFICER, "Wang")
        await officer.send(f"/start {code}")
        group = w.telegram.group(-100_777, "Station chat")
        for command in ("/new", "/mine", "/whoami", "/help", "/audit R-AAAA"):
            await group.send(officer, command)
        assert group.bot_messages == []
