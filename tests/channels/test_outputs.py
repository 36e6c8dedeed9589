"""The output channels against the fake Telegram and Slack APIs (no Rasa involved)."""

import json
from typing import Any, Dict, List

import pytest
from aiogram.types import CallbackQuery

from channels.slack import SlackInput, SlackOutput
from channels.telegram import TelegramInput, TelegramOutput, acknowledge
from tests.channels.fakes import BOT_TOKEN, BOT_USERNAME, SLACK_TOKEN, FakeSlack, FakeTelegram

pytestmark = pytest.mark.e2e  # starts the fake API servers

BUTTONS = [
    {"title": "Start the pause now", "payload": "/start_exercise"},
    {"title": "Not now", "payload": "/deny"},
]
LONG = "\n\n".join(["**Noticed:** " + "a quiet wish to leave the room " * 60] * 5)  # ~9,000


def keyboard(call: Any) -> List[List[Dict[str, str]]]:
    return call.json("reply_markup")["inline_keyboard"]


async def test_telegram_text_with_buttons_is_html_with_an_inline_keyboard(
    telegram_api: FakeTelegram,
) -> None:
    bot = TelegramOutput(BOT_TOKEN, telegram_api.url)
    mark = telegram_api.mark()
    await bot.send_response(
        "501", {"text": "Try *the pause* <now> & **breathe**", "buttons": BUTTONS}
    )
    await bot.session.close()
    [sent] = telegram_api.messages(501, mark)
    assert sent.params["parse_mode"] == "HTML"
    assert sent.params["text"] == "Try <i>the pause</i> &lt;now&gt; &amp; <b>breathe</b>"
    assert keyboard(sent) == [
        [{"text": "Start the pause now", "callback_data": "/start_exercise"}],
        [{"text": "Not now", "callback_data": "/deny"}],
    ]


async def test_telegram_long_text_is_split_with_the_keyboard_on_the_last_part(
    telegram_api: FakeTelegram,
) -> None:
    bot = TelegramOutput(BOT_TOKEN, telegram_api.url)
    mark = telegram_api.mark()
    await bot.send_response("502", {"text": LONG, "buttons": BUTTONS})
    await bot.session.close()
    parts = telegram_api.messages(502, mark)
    assert len(parts) == 3
    assert all(len(p.params["text"]) <= 4096 for p in parts)
    assert ["reply_markup" in p.params for p in parts] == [False, False, True]
    assert all(p.params["text"].startswith("<b>Noticed:</b>") for p in parts)


async def test_telegram_document(telegram_api: FakeTelegram) -> None:
    bot = TelegramOutput(BOT_TOKEN, telegram_api.url)
    mark = telegram_api.mark()
    content = "# My pause reflections\n\n- **Noticed:** ünïcode"
    await bot.send_response(
        "503", {"custom": {"type": "document", "filename": "pause.md", "content": content}}
    )
    await bot.session.close()
    [call] = telegram_api.since(mark, "sendDocument")
    assert call.params["chat_id"] == "503"
    assert call.files["document"] == ("pause.md", content.encode("utf-8"))


async def test_telegram_tap_is_acknowledged_and_the_keyboard_replaced(
    telegram_api: FakeTelegram,
) -> None:
    bot = TelegramOutput(BOT_TOKEN, telegram_api.url)
    markup = {
        "inline_keyboard": [[{"text": b["title"], "callback_data": b["payload"]}] for b in BUTTONS]
    }
    message = {
        "message_id": 9,
        "date": 0,
        "chat": {"id": 504, "type": "private"},
        "text": "Would you like to try?",
        "reply_markup": markup,
    }
    query = CallbackQuery(
        id="q1",
        chat_instance="1",
        data="/deny",
        message=message,
        **{"from": {"id": 504, "is_bot": False, "first_name": "Sam"}},
    )
    mark = telegram_api.mark()
    await acknowledge(bot, query)
    assert [c.method for c in telegram_api.since(mark)] == [
        "answerCallbackQuery",
        "editMessageText",
    ]
    edit = telegram_api.since(mark, "editMessageText")[0]
    assert edit.params["text"] == "Would you like to try?\n\n<i>› Not now</i>"
    assert "reply_markup" not in edit.params  # the keyboard is gone

    telegram_api.fail.add("editMessageText")  # e.g. too long to take the echo
    try:
        mark = telegram_api.mark()
        await acknowledge(bot, query)
        assert [c.method for c in telegram_api.since(mark)] == [
            "answerCallbackQuery",
            "editMessageText",
            "editMessageReplyMarkup",
        ]
    finally:
        telegram_api.fail.discard("editMessageText")
        await bot.session.close()


def slack_out(slack_api: FakeSlack, channel: str) -> SlackOutput:
    channel_in = SlackInput.from_credentials(
        {
            "slack_token": SLACK_TOKEN,
            "slack_signing_secret": "s",
            "api_base_url": f"{slack_api.url}/api",
        }
    )
    assert isinstance(channel_in, SlackInput)
    return channel_in.get_output_channel(channel)


async def test_slack_text_with_buttons_is_mrkdwn_and_block_kit(slack_api: FakeSlack) -> None:
    mark = slack_api.mark()
    await slack_out(slack_api, "D601").send_response(
        "U601", {"text": "**Bold** [site](https://x.example) <tag>", "buttons": BUTTONS}
    )
    [sent] = slack_api.messages("D601", mark)
    section, actions = sent.json("blocks")
    assert section == {
        "type": "section",
        "text": {"type": "mrkdwn", "text": "*Bold* <https://x.example|site> &lt;tag&gt;"},
    }
    assert [(e["text"]["text"], e["value"]) for e in actions["elements"]] == [
        ("Start the pause now", "/start_exercise"),
        ("Not now", "/deny"),
    ]
    assert sent.params["text"] == "Bold site (https://x.example) &lt;tag&gt;"


async def test_slack_long_text_is_split_into_sections(slack_api: FakeSlack) -> None:
    mark = slack_api.mark()
    await slack_out(slack_api, "D602").send_response("U602", {"text": LONG, "buttons": BUTTONS})
    parts = slack_api.messages("D602", mark)
    assert len(parts) == 5
    assert all(len(p.json("blocks")[0]["text"]["text"]) <= 3000 for p in parts)
    assert [len(p.json("blocks")) for p in parts] == [1, 1, 1, 1, 2]


async def test_slack_document_uses_the_files_v2_upload_flow(slack_api: FakeSlack) -> None:
    mark = slack_api.mark()
    content = "# My pause reflections\n\n- **Noticed:** ünïcode"
    await slack_out(slack_api, "D603").send_response(
        "U603", {"custom": {"type": "document", "filename": "pause.md", "content": content}}
    )
    calls = slack_api.since(mark)
    assert [c.method for c in calls] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]
    assert calls[0].params["filename"] == "pause.md"
    assert int(calls[0].params["length"]) == len(content.encode("utf-8"))
    assert calls[1].files["file"][1] == content.encode("utf-8")
    assert calls[2].params["channel_id"] == "D603"
    assert json.loads(calls[2].params["files"])[0]["id"] == calls[1].params["file_id"]


async def test_slack_tap_replaces_the_buttons_with_the_choice(slack_api: FakeSlack) -> None:
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "Try?"}},
        {"type": "actions", "elements": []},
    ]
    payload = {
        "channel": {"id": "D604"},
        "container": {"message_ts": "17.1"},
        "message": {"ts": "17.1", "text": "Try?", "blocks": blocks},
        "actions": [{"type": "button", "value": "/deny", "text": {"text": "Not now"}}],
    }
    mark = slack_api.mark()
    await slack_out(slack_api, "D604").acknowledge(payload)
    [update] = slack_api.since(mark, "chat.update")
    assert update.params["ts"] == "17.1" and update.params["channel"] == "D604"
    assert update.json("blocks") == [
        blocks[0],
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "› _Not now_"}]},
    ]


@pytest.mark.parametrize(("username", "registered"), [(BOT_USERNAME, True), ("other_bot", False)])
async def test_webhook_is_registered_only_for_the_expected_bot(
        telegram_api: FakeTelegram, username: str, registered: bool) -> None:
    channel = TelegramInput.from_credentials({
        "access_token": BOT_TOKEN, "verify": username, "secret_token": "s3cret",
        "webhook_url": "https://unit.example/webhooks/telegram/webhook",
        "api_base_url": telegram_api.url})
    assert isinstance(channel, TelegramInput)
    bot = channel.get_output_channel()
    mark = telegram_api.mark()
    await channel.register(bot)
    await bot.session.close()
    hooks = telegram_api.since(mark, "setWebhook")
    assert channel.ready is registered and len(hooks) == int(registered)
    if registered:
        assert hooks[0].params["secret_token"] == "s3cret"
