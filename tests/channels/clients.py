"""Clients for the assistant's webhooks, posting real-shaped Telegram and Slack payloads."""

import json
import random
import time
import urllib.parse
from typing import Any, Dict, List, Optional

import requests

from channels.slack import signature
from tests.channels.fakes import (
    BOT_TOKEN,
    BOT_USERNAME,
    SLACK_BOT_USER,
    SLACK_TOKEN,
    Call,
    FakeSlack,
    FakeTelegram,
)

TELEGRAM_SECRET = "test-secret_Token-0123456789"
SLACK_SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
WEBHOOK_URL = "https://pause.example/webhooks/telegram/webhook"


def credentials(telegram: FakeTelegram, slack: FakeSlack) -> Dict[str, Any]:
    """credentials.yml with the messaging channels pointing at the fakes."""
    return {
        "channels.rest.RestInput": None,
        "channels.telegram.TelegramInput": {
            "access_token": BOT_TOKEN,
            "verify": BOT_USERNAME,
            "webhook_url": WEBHOOK_URL,
            "secret_token": TELEGRAM_SECRET,
            "api_base_url": telegram.url,
        },
        "channels.slack.SlackInput": {
            "slack_token": SLACK_TOKEN,
            "slack_signing_secret": SLACK_SIGNING_SECRET,
            "api_base_url": f"{slack.url}/api/",
        },
        "channels.plaintext.PlainTextInput": None,
    }


class Assistant:
    """The running servers and clients for each channel's webhook."""

    def __init__(self, url: str, telegram: FakeTelegram, slack: FakeSlack, token: str) -> None:
        self.url = url
        self.auth = {"Authorization": f"Bearer {token}"}
        self.telegram = telegram
        self.slack = slack
        self._update_id = random.randint(10_000, 90_000)

    # --- Telegram ---------------------------------------------------------------------------
    def telegram_post(
        self, update: Dict[str, Any], secret: Optional[str] = TELEGRAM_SECRET
    ) -> requests.Response:
        headers = {} if secret is None else {"X-Telegram-Bot-Api-Secret-Token": secret}
        return requests.post(
            f"{self.url}/webhooks/telegram/webhook", json=update, headers=headers, timeout=120
        )

    def update(self, **content: Any) -> Dict[str, Any]:
        self._update_id += 1
        return {"update_id": self._update_id, **content}

    def telegram_message(self, user: int, text: str) -> Dict[str, Any]:
        person = {"id": user, "is_bot": False, "first_name": "Sam", "language_code": "en"}
        return self.update(
            message={
                "message_id": random.randint(1, 10**6),
                "date": int(time.time()),
                "text": text,
                "from": person,
                "chat": {"id": user, "type": "private", "first_name": "Sam"},
            }
        )

    def telegram_tap(self, user: int, sent: Call, data: str) -> Dict[str, Any]:
        """A callback_query for the button with ``data`` under the message ``sent``."""
        message = self.telegram.result("editMessageText", {**sent.params, "message_id": 1}, {})
        message["reply_markup"] = sent.json("reply_markup")
        person = {"id": user, "is_bot": False, "first_name": "Sam"}
        return self.update(
            callback_query={
                "id": str(random.randint(10**9, 10**10)),
                "from": person,
                "message": message,
                "chat_instance": "42",
                "data": data,
            }
        )

    def say_telegram(self, user: int, text: str) -> List[Call]:
        mark = self.telegram.mark()
        assert self.telegram_post(self.telegram_message(user, text)).status_code == 200
        return self.telegram.messages(user, mark)

    def tap_telegram(self, user: int, sent: Call, data: str) -> List[Call]:
        mark = self.telegram.mark()
        assert self.telegram_post(self.telegram_tap(user, sent, data)).status_code == 200
        return self.telegram.messages(user, mark)

    # --- Slack ------------------------------------------------------------------------------
    def slack_post(
        self,
        body: bytes,
        content_type: str,
        timestamp: Optional[int] = None,
        secret: str = SLACK_SIGNING_SECRET,
        **headers: str,
    ) -> requests.Response:
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": signature(secret, stamp, body),
            **headers,
        }
        return requests.post(
            f"{self.url}/webhooks/slack/webhook", data=body, headers=headers, timeout=30
        )

    def slack_event(self, user: str, channel: str, text: str) -> bytes:
        ts = f"{time.time():.6f}"
        return json.dumps(
            {
                "token": "legacy",
                "team_id": "TPAUSE",
                "api_app_id": "APAUSE",
                "type": "event_callback",
                "event": {
                    "type": "message",
                    "channel": channel,
                    "user": user,
                    "text": text,
                    "ts": ts,
                    "event_ts": ts,
                    "channel_type": "im",
                    "team": "TPAUSE",
                },
                "event_id": f"Ev{random.randint(10**8, 10**9)}",
                "event_time": int(time.time()),
                "authorizations": [
                    {"team_id": "TPAUSE", "user_id": SLACK_BOT_USER, "is_bot": True}
                ],
            }
        ).encode()

    def slack_tap(self, user: str, sent: Call, value: str) -> bytes:
        blocks = sent.json("blocks")
        button = next(
            e
            for b in blocks
            if b["type"] == "actions"
            for e in b["elements"]
            if e["value"] == value
        )
        ts = f"{time.time():.6f}"
        payload = {
            "type": "block_actions",
            "user": {"id": user, "username": "sam", "team_id": "TPAUSE"},
            "api_app_id": "APAUSE",
            "token": "legacy",
            "trigger_id": "1.2.3",
            "team": {"id": "TPAUSE"},
            "channel": {"id": sent.params["channel"], "name": "dm"},
            "container": {
                "type": "message",
                "message_ts": "1700000001.000100",
                "channel_id": sent.params["channel"],
                "is_ephemeral": False,
            },
            "message": {
                "type": "message",
                "ts": "1700000001.000100",
                "bot_id": "BPAUSE",
                "text": sent.params.get("text"),
                "blocks": blocks,
            },
            "response_url": "https://hooks.slack.invalid/actions/T/1/x",
            "actions": [{**button, "block_id": "pause-buttons-0", "action_ts": ts}],
        }
        return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()

    def slack_turn(
        self, channel: str, body: bytes, content_type: str, expect: int = 1, settle: float = 0.7
    ) -> List[Call]:
        """Post, wait for ``expect`` messages (Slack replies come in the background)."""
        mark = self.slack.mark()
        assert self.slack_post(body, content_type).status_code == 200
        self.slack.wait(lambda: len(self.slack.messages(channel, mark)) >= expect)
        time.sleep(settle)
        return self.slack.messages(channel, mark)

    def say_slack(self, user: str, channel: str, text: str, expect: int = 1) -> List[Call]:
        return self.slack_turn(
            channel, self.slack_event(user, channel, text), "application/json", expect
        )

    def tap_slack(self, user: str, sent: Call, value: str, expect: int = 1) -> List[Call]:
        return self.slack_turn(
            sent.params["channel"],
            self.slack_tap(user, sent, value),
            "application/x-www-form-urlencoded",
            expect,
        )

    # --- plain text and the HTTP API --------------------------------------------------------
    def say_plain(self, sender: str, message: str) -> List[str]:
        response = requests.post(
            f"{self.url}/webhooks/plaintext/webhook",
            json={"sender": sender, "message": message},
            headers=self.auth,
            timeout=120,
        )
        response.raise_for_status()
        return [m["text"] for m in response.json()]

    def user_events(self, conversation: str) -> List[Dict[str, Any]]:
        """User events of a stored conversation id (``telegram:<id>``, ``plaintext:<sender>``)."""
        response = requests.get(
            f"{self.url}/conversations/{conversation}/tracker", headers=self.auth, timeout=30
        )
        response.raise_for_status()
        return [e for e in response.json().get("events") or [] if e.get("event") == "user"]


def text_of(responses: Dict[str, Any], name: str, variation: int = 0) -> str:
    return str(responses[name][variation]["text"])


def buttons_of(responses: Dict[str, Any], name: str, variation: int = 0) -> List[Dict[str, str]]:
    # The domain doubles the braces of payloads so that Rasa's interpolation leaves them alone.
    return [
        {**b, "payload": b["payload"].replace("{{", "{").replace("}}", "}")}
        for b in responses[name][variation].get("buttons") or []
    ]
