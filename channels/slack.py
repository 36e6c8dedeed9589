"""Slack connector: mrkdwn sections, Block Kit buttons, file uploads and signed requests only.

Extends Rasa's ``SlackInput``/``SlackBot``. Every request must carry a valid v0 signature
(``X-Slack-Signature``) made within 5 minutes (``X-Slack-Request-Timestamp``); anything else
gets 401 and is not processed. Retries (``X-Slack-Retry-Num``), bot messages and edits are
ignored, and so is everything outside direct messages (and ``slack_channel``, if set): answers
hold personal reflections. The sender id is ``slack:<user id>``. Settings: ``slack_token``,
``slack_signing_secret``, optional ``slack_channel`` and ``api_base_url`` (docs/messaging.md).
"""

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.slack import SlackBot
from rasa.core.channels.slack import SlackInput as RasaSlackInput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse
from slack_sdk.errors import SlackClientError
from slack_sdk.signature import Clock, SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from channels.identity import platform_id, scoped
from channels.limits import limits, too_many
from channels.rendering import plain, slack_escape, slack_mrkdwn, slack_parts
from channels.switch import configured, off_blueprint

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
RETRY_HEADER = "X-Slack-Retry-Num"
BUTTONS_PER_BLOCK = 25  # Block Kit: elements of one actions block
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
_API_ERRORS = (SlackClientError, aiohttp.ClientError, OSError)

Dispatch = Tuple[str, str, str]  # text, sender id, channel id


class _At(Clock):
    def __init__(self, now: float) -> None:
        self.at = now

    def now(self) -> float:
        return self.at


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The v0 signature Slack computes over ``v0:{timestamp}:{body}`` ("" without a secret)."""
    if not secret:
        return ""
    return SignatureVerifier(secret).generate_signature(timestamp=timestamp, body=body) or ""


def verify_signature(
    secret: str, timestamp: Optional[str], body: bytes, sig: Optional[str], now: float = 0
) -> bool:
    """Whether a request is signed with ``secret`` and not older (or newer) than 5 minutes."""
    try:
        verifier = SignatureVerifier(secret, _At(now) if now else Clock())
        return verifier.is_valid(body, timestamp, sig)
    except ValueError:  # an empty secret, a timestamp that is not a number
        return False


def button_blocks(buttons: List[Dict[Text, Any]]) -> List[Dict[str, Any]]:
    """Rasa buttons as Block Kit ``actions`` blocks (25 buttons at most in each)."""
    elements = [
        {"type": "button", "action_id": f"pause-button-{number}",
         "text": {"type": "plain_text", "text": str(b["title"])[:BUTTON_TEXT_LIMIT]},
         "value": str(b["payload"])[:BUTTON_VALUE_LIMIT]}
        for number, b in enumerate(buttons) if b.get("title") and b.get("payload")
    ]
    return [
        {"type": "actions", "block_id": f"pause-buttons-{start}",
         "elements": elements[start : start + BUTTONS_PER_BLOCK]}
        for start in range(0, len(elements), BUTTONS_PER_BLOCK)
    ]


class SlackOutput(SlackBot):
    """Sends Markdown as mrkdwn section blocks within 3,000 characters, buttons on the last."""

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """Send to the Slack user of ``slack:<id>`` (the sender id is scoped)."""
        await super().send_response(platform_id(recipient_id, "slack"), message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Send one message a part of at most 3,000 characters."""
        await self.send_text_with_buttons(recipient_id, text, [])

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        """Send the text as mrkdwn sections with the buttons under the last part."""
        parts = slack_parts(text or "")
        for number, runs in enumerate(parts, 1):
            blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": slack_mrkdwn(runs)}}]
            if buttons and number == len(parts):
                blocks += button_blocks(buttons)
            await self._post_message(
                channel=self.slack_channel or recipient_id,
                text=slack_escape(plain(runs)),  # the notification's text
                blocks=blocks,
            )

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """Upload ``{"type": "document", ...}`` as a file (files v2); else as Rasa does."""
        if json_message.get("type") != "document":
            await super().send_custom_json(recipient_id, json_message, **kwargs)
            return
        filename = str(json_message.get("filename") or "document.md")
        caption = json_message.get("caption")
        await self.client.files_upload_v2(
            channel=self.slack_channel or recipient_id,
            filename=filename,
            title=filename,
            content=str(json_message.get("content") or ""),
            initial_comment=slack_mrkdwn(slack_parts(str(caption))[0]) if caption else None,
            thread_ts=self.thread_id,
        )

    async def acknowledge(self, payload: Dict[str, Any]) -> None:
        """Replace the tapped message's buttons by ``› <title>`` (chat.update)."""
        title = ((payload.get("actions") or [{}])[0].get("text") or {}).get("text") or ""
        message = payload.get("message") or {}
        channel = (payload.get("channel") or {}).get("id")
        ts = (payload.get("container") or {}).get("message_ts") or message.get("ts")
        if not channel or not ts:
            return
        blocks = [b for b in message.get("blocks") or [] if b.get("type") != "actions"]
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": f"› _{slack_escape(title)}_"}]})
        try:
            await self.client.chat_update(
                channel=channel, ts=ts, blocks=blocks, text=message.get("text") or ""
            )
        except _API_ERRORS as error:
            logger.warning("slack: acknowledging a tap failed: %s", error)


class SlackInput(RasaSlackInput):
    """Slack Events API and interactivity webhook that checks signatures first."""

    api_base_url: Optional[Text] = None
    off = False  # True when neither credentials.yml nor the environment configures it

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """Build the channel from its credentials.yml section, else the SLACK_* variables.

        Empty values count as unset; with none at all the channel is off (channels/switch.py).
        """
        values = configured("slack", credentials)
        if values is None:
            channel = cls("", slack_signing_secret="off")  # Rasa's check needs one
            channel.slack_signing_secret, channel.off = "", True
            return channel
        if not values.get("slack_token"):
            raise InvalidConfigException("slack: slack_token is required")
        channel = cls(
            values["slack_token"],
            values.get("slack_channel"),
            values.get("proxy"),
            slack_signing_secret=values.get("slack_signing_secret", ""),
        )
        channel.api_base_url = values.get("api_base_url")
        return channel

    def get_output_channel(
        self, channel: Optional[Text] = None, thread_id: Optional[Text] = None
    ) -> Optional[SlackOutput]:  # type: ignore[override]
        """A client that answers in ``channel`` (the DM or the channel of the event).

        Without a channel (a message Pause starts, such as a check-in, through the HTTP API's
        ``output_channel=latest``), it writes to the person's own DM with the app, never to
        ``slack_channel``: what the person wrote must not appear in a shared channel. None
        when the channel is off.
        """
        if self.off:
            return None
        out = SlackOutput(self.slack_token, channel, thread_id, self.proxy)
        if self.api_base_url:
            base_url = self.api_base_url.rstrip("/") + "/"
            out.client = AsyncWebClient(self.slack_token, proxy=self.proxy, base_url=base_url)
        return out

    def is_request_from_slack_authentic(self, request: Request) -> bool:
        """Check the v0 signature and the 5-minute window."""
        return verify_signature(
            self.slack_signing_secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.body,
            request.headers.get(SIGNATURE_HEADER),
        )

    def user_message(self, body: Dict[str, Any]) -> Optional[Dispatch]:
        """The text, sender and channel of an ``event_callback`` a person sent, else ``None``."""
        event = body.get("event") or {}
        if body.get("type") != "event_callback" or event.get("subtype"):
            return None  # edits, joins, bot_message and the like
        if not self._is_user_message(body) or not event.get("user") or not event.get("channel"):
            return None
        if not self._is_direct_message(body) and event["channel"] != self.slack_channel:
            return None  # mentions in other channels too: answers would be public
        bots = [a.get("user_id") for a in body.get("authorizations") or [] if a.get("user_id")]
        text = self._sanitize_user_message(str(event["text"]), bots)
        return (text, str(event["user"]), str(event["channel"])) if text else None

    @staticmethod
    def tapped_button(payload: Dict[str, Any]) -> Optional[Dispatch]:
        """The payload, sender and channel of a ``block_actions`` button tap, else ``None``."""
        action = (payload.get("actions") or [{}])[0]
        user = (payload.get("user") or {}).get("id")
        channel = (payload.get("channel") or {}).get("id")
        if payload.get("type") != "block_actions" or action.get("type") != "button":
            return None
        if not action.get("value") or not user or not channel:
            return None
        return str(action["value"]), str(user), str(channel)

    def dispatch(
        self,
        on_new_message: Callable[[UserMessage], Awaitable[Any]],
        found: Dispatch,
        tap: Optional[Dict[str, Any]] = None,
    ) -> None:
        """Handle the message in the background: Slack wants an answer within 3 seconds."""
        text, sender_id, channel = found
        out = self.get_output_channel(channel)
        if out is None:  # off: no webhook routes either, so nothing arrives here
            return

        async def handle() -> None:
            try:
                if tap is not None:
                    await out.acknowledge(tap)
                metadata = {"out_channel": channel}
                await on_new_message(
                    UserMessage(
                        text,
                        out,
                        scoped(self.name(), sender_id),
                        input_channel=self.name(),
                        metadata=metadata,
                    )
                )
            except Exception:
                logger.exception("slack: handling a message failed")

        task = asyncio.create_task(handle())
        self._background_tasks.add(task)
        task.add_done_callback(self._background_tasks.discard)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook for both Events API (JSON) and interactivity (``payload=`` form)."""
        if self.off:
            return off_blueprint("slack")
        webhook = Blueprint("pause_slack_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.is_request_from_slack_authentic(request):
                return response.text("unauthorized", status=401)
            if request.headers.get(RETRY_HEADER):  # the first delivery is being handled
                return response.text("", headers={"X-Slack-No-Retry": "1"})
            content_type = (request.headers.get("content-type") or "").split(";")[0].strip()
            found, tap = None, None
            try:
                if content_type == "application/json":
                    body = request.json or {}
                    if body.get("type") == "url_verification":
                        return response.json({"challenge": body.get("challenge")})
                    found = self.user_message(body)
                elif content_type == "application/x-www-form-urlencoded":
                    tap = json.loads(request.form.get("payload") or "{}")
                    found = self.tapped_button(tap)
            except Exception:  # a body that is not what its content type says
                logger.warning("slack: could not read a signed request", exc_info=True)
                return response.text("bad request", status=400)
            if found is not None and not limits().check(sender=scoped(self.name(), found[1])):
                logger.warning("slack: a sender is over the rate limit")
                return too_many()
            if found is not None:
                self.dispatch(on_new_message, found, tap)
            return response.text("")

        return webhook
