"""Connector logic without servers: signatures, secrets, updates, events, options."""

import time
from typing import Any, Dict

import pytest
from aiogram.types import Update
from rasa.shared.exceptions import InvalidConfigException
from slack_sdk.signature import SignatureVerifier

from channels.plaintext import OptionMemory, render_turn
from channels.slack import SlackInput, signature, verify_signature
from channels.telegram import CallbackData, TelegramInput, incoming, secret_matches

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BODY = b'{"type":"event_callback","event":{"type":"message","text":"hi"}}'


# --- Slack signatures -----------------------------------------------------------------------
def test_signature_matches_slack_sdks_own_verifier() -> None:
    now = int(time.time())
    expected = SignatureVerifier(SECRET).generate_signature(timestamp=str(now), body=BODY)
    assert signature(SECRET, str(now), BODY) == expected
    assert verify_signature(SECRET, str(now), BODY, expected)


@pytest.mark.parametrize(
    ("secret", "age", "body", "sig"),
    [
        ("other-secret", 0, BODY, None),  # signed with another secret
        (SECRET, 0, BODY + b" ", None),  # body changed after signing
        (SECRET, 301, BODY, None),  # replayed after more than 5 minutes
        (SECRET, -301, BODY, None),  # from the future
        (SECRET, 0, BODY, ""),  # no signature
        (SECRET, 0, BODY, "v0=" + "0" * 64),  # forged
    ],
)
def test_bad_signatures_and_replays_are_rejected(
    secret: str, age: int, body: bytes, sig: Any
) -> None:
    now = time.time()
    stamp = str(int(now) - age)
    sent = signature(secret, stamp, body) if sig is None else sig
    assert not verify_signature(SECRET, stamp, BODY, sent, now=now)


def test_timestamp_must_be_a_number_and_secret_set() -> None:
    assert not verify_signature(SECRET, "yesterday", BODY, signature(SECRET, "yesterday", BODY))
    assert not verify_signature(SECRET, None, BODY, "v0=x")
    now = str(int(time.time()))
    assert not verify_signature("", now, BODY, signature("", now, BODY))
    assert verify_signature(SECRET, now, BODY, signature(SECRET, now, BODY), now=float(now) + 299)


# --- Telegram secret, credentials, updates ----------------------------------------------------
def test_telegram_secret_is_compared_exactly() -> None:
    assert secret_matches("s3cret-token", "s3cret-token")
    assert not secret_matches("s3cret-tokeN", "s3cret-token")
    assert not secret_matches(None, "s3cret-token")
    assert not secret_matches("", "")


@pytest.mark.parametrize("secret", [None, "", "has spaces", "x" * 257])
def test_telegram_needs_a_valid_secret_token(secret: Any) -> None:
    with pytest.raises(InvalidConfigException):
        TelegramInput.from_credentials({"access_token": "1:a", "secret_token": secret})


def test_slack_needs_a_token_and_a_signing_secret() -> None:
    with pytest.raises(InvalidConfigException):
        SlackInput.from_credentials({"slack_token": "xoxb-1", "slack_signing_secret": ""})
    with pytest.raises(InvalidConfigException):
        SlackInput.from_credentials({"slack_signing_secret": SECRET})


def _message(text: str, chat_type: str = "private", user: int = 42) -> Dict[str, Any]:
    return {
        "message_id": 1,
        "date": 0,
        "text": text,
        "from": {"id": user, "is_bot": False, "first_name": "Sam"},
        "chat": {"id": user if chat_type == "private" else -100, "type": chat_type},
    }


def test_sender_is_the_telegram_user_and_only_private_chats_count() -> None:
    data = CallbackData()
    assert incoming(Update(update_id=1, message=_message("hi")), data, "/greet") == (
        "42",
        "hi",
        None,
    )
    assert incoming(Update(update_id=2, message=_message("hi", "group")), data, "/greet") is None
    assert incoming(Update(update_id=3, edited_message=_message("x")), data, "/greet") is None
    assert incoming(Update(update_id=4, message=_message("/start")), data, "/greet")[1] == "/greet"
    help_text = incoming(Update(update_id=5, message=_message("/help@pause_bot")), data, "/greet")
    assert help_text is not None and help_text[1] == "/help"


def test_a_callback_query_sends_its_data_from_the_tapping_user() -> None:
    data = CallbackData()
    long_payload = '/affirm{"choice": "' + "a long choice " * 10 + '"}'
    encoded = data.encode(long_payload)
    assert len(encoded.encode()) <= 64 and data.encode("/deny") == "/deny"
    query = {
        "id": "77",
        "from": {"id": 7, "is_bot": False, "first_name": "Kim"},
        "chat_instance": "1",
        "data": encoded,
        "message": _message("question", user=7),
    }
    found = incoming(Update(update_id=6, callback_query=query), data, "/greet")
    assert found is not None and found[:2] == ("7", long_payload)


# --- Slack events -----------------------------------------------------------------------------
@pytest.fixture
def slack() -> SlackInput:
    channel = SlackInput.from_credentials({"slack_token": "xoxb-1", "slack_signing_secret": SECRET})
    assert isinstance(channel, SlackInput)
    return channel


def _event(**event: Any) -> Dict[str, Any]:
    base = {"type": "message", "channel": "D1", "user": "U1", "text": "hi", "channel_type": "im"}
    return {
        "type": "event_callback",
        "event": {**base, **event},
        "authorizations": [{"user_id": "UBOT", "is_bot": True}],
    }


def test_slack_user_messages_and_what_is_ignored(slack: SlackInput) -> None:
    assert slack.user_message(_event()) == ("hi", "U1", "D1")
    assert slack.user_message(_event(bot_id="B1")) is None
    assert slack.user_message(_event(subtype="message_changed")) is None
    assert slack.user_message(_event(channel="C1", channel_type="channel")) is None
    mention = _event(type="app_mention", channel="C1", text="<@UBOT> help me pause")
    del mention["event"]["channel_type"]
    assert slack.user_message(mention) is None  # answers in a channel would be public
    slack.slack_channel = "C1"  # unless that channel is the one configured
    assert slack.user_message(mention) == ("help me pause", "U1", "C1")


def test_slack_button_taps(slack: SlackInput) -> None:
    tap = {
        "type": "block_actions",
        "user": {"id": "U9"},
        "channel": {"id": "D9"},
        "actions": [{"type": "button", "value": "/deny", "text": {"text": "Not now"}}],
    }
    assert slack.tapped_button(tap) == ("/deny", "U9", "D9")
    assert slack.tapped_button({**tap, "type": "view_submission"}) is None
    assert slack.tapped_button({**tap, "actions": [{"type": "static_select"}]}) is None


# --- plain text -------------------------------------------------------------------------------
def test_options_are_numbered_across_the_turn_and_markdown_stripped() -> None:
    texts, options = render_turn(
        [
            {"text": "**Here's your pause**"},
            {"text": "Saved.", "buttons": [{"title": "Show my map", "payload": "/show_map"}]},
            {"text": "Or", "buttons": [{"title": "Later", "payload": "/deny"}]},
            {"custom": {"type": "document", "filename": "r.md", "content": "# My pause\n- **a**"}},
        ]
    )
    assert texts == [
        "Here's your pause",
        "Saved.\n\n1. Show my map",
        "Or\n\n2. Later",
        "My pause\n- a",
    ]
    assert options == [("Show my map", "/show_map"), ("Later", "/deny")]


def test_a_number_or_a_title_picks_the_payload_per_sender() -> None:
    memory = OptionMemory(capacity=2)
    memory.remember("a", [("Start the pause now", "/start_exercise"), ("Not now", "/deny")])
    assert memory.resolve("a", " 2 ") == "/deny" and memory.resolve("a", "1.") == "/start_exercise"
    assert memory.resolve("a", "not NOW") == "/deny"
    assert memory.resolve("a", "3") == "3" and memory.resolve("b", "1") == "1"
    memory.remember("b", [("x", "/x")])
    memory.remember("c", [("y", "/y")])  # capacity 2: "a" is forgotten
    assert memory.resolve("a", "1") == "1" and memory.resolve("c", "1") == "/y"
    memory.remember("c", [])
    assert memory.resolve("c", "1") == "1"
