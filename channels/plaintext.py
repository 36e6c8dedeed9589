"""Plain-text channel for apps without buttons (SMS gateways, simple chat bridges).

``POST /webhooks/plaintext/webhook`` with ``{"sender": "...", "message": "..."}`` and the
API token (or a gateway's ``X-Gateway-Secret``, see channels/guard.py) answers with the
bot's messages, Markdown stripped, buttons shown as numbered options::

    Would you like to try a short pause together? ...

    1. Start the pause now
    2. Not now

Replying ``1`` (or the option's title) sends that option's payload. Each sender's options
of the latest turn are kept in this process's memory only: they are lost on restart and
not shared between several Rasa servers. The answer is JSON
(``[{"recipient_id": ..., "text": ...}]``, like the REST channel) or, when the request
says ``Accept: text/plain``, the messages as one text separated by blank lines.
"""

import json
import logging
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Sequence, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.checkin_delivery import checkin_message, deliver_held
from channels.guard import install_guard, read_message
from channels.identity import scoped
from channels.rendering import numbered, plain_text

logger = logging.getLogger(__name__)

Option = Tuple[str, str]  # title, payload


class OptionMemory:
    """Each sender's numbered options of the latest turn (in memory, least recent dropped)."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._options: OrderedDict[str, List[Option]] = OrderedDict()
        self._capacity = capacity

    def remember(self, sender_id: str, options: Sequence[Option]) -> None:
        """Keep ``options`` as the sender's current choices (none forgets them)."""
        self._options.pop(sender_id, None)
        if options:
            self._options[sender_id] = list(options)
            while len(self._options) > self._capacity:
                self._options.popitem(last=False)

    def resolve(self, sender_id: str, message: str) -> str:
        """The payload of the option ``message`` picks by number or title, else ``message``."""
        options = self._options.get(sender_id, [])
        choice = message.strip().rstrip(".)").strip()
        if choice.isdigit() and 1 <= int(choice) <= len(options):
            return options[int(choice) - 1][1]
        for title, payload in options:
            if choice.casefold() == title.casefold():
                return payload
        return message


class PlainTextCollector(CollectingOutputChannel):
    """Collects the bot's messages whole (Rasa's collector cuts texts at blank lines)."""

    @classmethod
    def name(cls) -> Text:
        """Name used to pick channel-specific response variations."""
        return "plaintext"

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Keep the text as one message."""
        await self._persist_message(self._message(recipient_id, text=text))


def render_turn(messages: List[Dict[str, Any]]) -> Tuple[List[str], List[Option]]:
    """The turn's messages as plain text, numbering the buttons across the whole turn."""
    texts: List[str] = []
    options: List[Option] = []
    for message in messages:
        parts = [plain_text(message["text"])] if message.get("text") else []
        buttons = [b for b in message.get("buttons") or [] if b.get("title") and b.get("payload")]
        if buttons:
            parts.append(numbered([str(b["title"]) for b in buttons], len(options) + 1))
            options += [(str(b["title"]), str(b["payload"])) for b in buttons]
        parts += [str(message[key]) for key in ("image", "attachment") if message.get(key)]
        custom = message.get("custom")
        if isinstance(custom, dict) and custom.get("type") == "document":
            parts += [plain_text(str(custom[k])) for k in ("caption", "content") if custom.get(k)]
        elif custom:
            parts.append(json.dumps(custom))
        if parts:
            texts.append("\n\n".join(parts))
    return texts, options


class PlainTextInput(InputChannel):
    """A REST-like channel whose answers are plain text with numbered options."""

    @classmethod
    def name(cls) -> Text:
        """Webhook at /webhooks/plaintext/webhook."""
        return "plaintext"

    def __init__(self) -> None:
        self.options = OptionMemory()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook: one request, one turn, the answer in the response."""
        webhook = Blueprint("pause_plaintext_webhook", __name__)
        install_guard(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            found = read_message(request, self.name())
            if isinstance(found, HTTPResponse):
                return found
            sender, message = found
            sender_id = scoped(self.name(), sender)
            collector = PlainTextCollector()
            text = self.options.resolve(sender_id, message)

            async def checkin(to: str, checkin_id: str) -> None:  # kept for this message
                held = checkin_message(checkin_id)
                await on_new_message(UserMessage(held, collector, to, input_channel=self.name()))

            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name())
                )
                await deliver_held(sender_id, checkin)
            except Exception:
                logger.exception("plaintext: handling a message failed")
            texts, options = render_turn(collector.messages)
            self.options.remember(sender_id, options)
            if "text/plain" in (request.headers.get("accept") or ""):
                return response.text("\n\n".join(texts))
            return response.json([{"recipient_id": sender, "text": t} for t in texts])

        return webhook
