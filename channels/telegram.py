"""Telegram connector: HTML messages, inline keyboards, documents and a verified webhook.

Extends Rasa's ``TelegramInput``/``TelegramOutput``. Updates must carry the
``X-Telegram-Bot-Api-Secret-Token`` registered with ``setWebhook``; any other request gets
401 before its body is parsed. Only private chats are answered; the sender id is
``telegram:<from.id>`` (channels/identity.py). Settings: ``access_token``, ``verify`` (bot
username), ``webhook_url``, ``secret_token``, optional ``api_base_url`` (docs/messaging.md).
"""

import hashlib
import hmac
import html
import io
import logging
import re
from collections import OrderedDict
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

import aiohttp
from aiogram import Bot, types
from aiogram.bot.api import TELEGRAM_PRODUCTION, TelegramAPIServer
from aiogram.utils.exceptions import TelegramAPIError
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.channels.telegram import TelegramInput as RasaTelegramInput
from rasa.core.channels.telegram import TelegramOutput as RasaTelegramOutput
from rasa.shared.exceptions import InvalidConfigException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.identity import platform_id, scoped
from channels.limits import limits, too_many
from channels.rendering import telegram_parts
from channels.switch import configured, off_blueprint

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CALLBACK_DATA_BYTES = 64  # Telegram's limit for an inline button's callback_data
CAPTION_LIMIT = 1024
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_API_ERRORS = (TelegramAPIError, aiohttp.ClientError, OSError)


def secret_matches(received: Optional[str], expected: str) -> bool:
    """Compare the secret header with the configured one in constant time."""
    if received is None or not expected:
        return False
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


class CallbackData:
    """Payloads as callback_data; those over 64 bytes are kept here, in memory."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._long: OrderedDict[str, str] = OrderedDict()
        self._capacity = capacity

    def encode(self, payload: str) -> str:
        """Return the callback_data for ``payload``."""
        if len(payload.encode("utf-8")) <= CALLBACK_DATA_BYTES and not payload.startswith("~"):
            return payload
        key = "~" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:40]
        self._long[key] = payload
        self._long.move_to_end(key)
        while len(self._long) > self._capacity:
            self._long.popitem(last=False)
        return key

    def decode(self, data: str) -> str:
        """Return the payload that ``data`` stands for."""
        return self._long.get(data, data)


def keyboard(buttons: List[Dict[Text, Any]], data: CallbackData) -> types.InlineKeyboardMarkup:
    """An inline keyboard with one button a row (titles stay readable on phones)."""
    return types.InlineKeyboardMarkup(inline_keyboard=[
        [types.InlineKeyboardButton(str(b["title"]), callback_data=data.encode(str(b["payload"])))]
        for b in buttons if b.get("title") and b.get("payload")
    ])


class TelegramOutput(RasaTelegramOutput):
    """Sends Markdown as HTML messages within 4,096 characters, buttons on the last part."""

    def __init__(
        self,
        access_token: Optional[Text],
        api_base_url: Optional[str] = None,
        callback_data: Optional[CallbackData] = None,
    ) -> None:
        server = TelegramAPIServer.from_base(api_base_url) if api_base_url else TELEGRAM_PRODUCTION
        Bot.__init__(self, access_token, server=server)
        self.callback_data = callback_data or CallbackData()

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        """Send to the Telegram chat of ``telegram:<id>`` (the sender id is scoped)."""
        await super().send_response(platform_id(recipient_id, "telegram"), message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Send one message, or several when the text is longer than Telegram allows."""
        await self.send_text_with_buttons(recipient_id, text, [])

    async def send_text_with_buttons(  # type: ignore[override]
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        """Send the text with the buttons as an inline keyboard under its last part."""
        parts = telegram_parts(text or "")
        for number, part in enumerate(parts, 1):
            last = buttons and number == len(parts)
            await self.send_message(
                recipient_id, part, parse_mode="HTML", disable_web_page_preview=True,
                reply_markup=keyboard(buttons, self.callback_data) if last else None,
            )

    async def send_custom_json(
        self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any
    ) -> None:
        """Send ``{"type": "document", ...}`` with sendDocument; anything else as Rasa does."""
        if json_message.get("type") != "document":
            await super().send_custom_json(recipient_id, json_message, **kwargs)
            return
        content = io.BytesIO(str(json_message.get("content") or "").encode("utf-8"))
        caption = json_message.get("caption")
        await self.send_document(
            recipient_id,
            types.InputFile(content, filename=str(json_message.get("filename") or "document.md")),
            caption=telegram_parts(str(caption), CAPTION_LIMIT)[0] if caption else None,
            parse_mode="HTML" if caption else None,
        )


def command_text(text: str, start_payload: str) -> str:
    """Map ``/start`` to ``start_payload`` and drop a ``@botname`` suffix of commands."""
    if re.match(r"^/start(@\w+)?(\s|$)", text):
        return start_payload
    return re.sub(r"^(/\w+)@\w+\b", r"\1", text)


Incoming = Tuple[str, str, Optional[types.CallbackQuery]]  # sender id, text, tapped button


def incoming(update: types.Update, data: CallbackData, start_payload: str) -> Optional[Incoming]:
    """The message of a private-chat update, or ``None`` for anything to ignore."""
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message else None
        if chat is None or chat.type != "private" or not query.data or not query.from_user:
            return None
        return str(query.from_user.id), data.decode(query.data), query
    message = update.message  # edited messages and other update types are ignored
    if message is None or message.chat.type != "private" or not message.text:
        return None
    if message.from_user is None or message.from_user.is_bot:
        return None
    return str(message.from_user.id), command_text(message.text, start_payload), None


async def _attempt(call: Awaitable[Any]) -> bool:
    try:
        await call
        return True
    except _API_ERRORS as error:
        logger.warning("telegram: acknowledging a tap failed: %s", error)
        return False


async def acknowledge(bot: TelegramOutput, query: types.CallbackQuery) -> None:
    """Answer the callback query and replace the keyboard by ``› <title>``."""
    await _attempt(bot.answer_callback_query(query.id))
    message = query.message
    rows = message.reply_markup.inline_keyboard if message.reply_markup else []
    titles = [b.text for row in rows for b in row if b.callback_data == query.data]
    if titles and message.text:
        echo = f"{message.html_text}\n\n<i>› {html.escape(titles[0], quote=False)}</i>"
        edit = bot.edit_message_text(
            echo, message.chat.id, message.message_id,
            parse_mode="HTML", disable_web_page_preview=True,
        )
        if await _attempt(edit):
            return
    # no title found, or the edit failed (e.g. too long to take the echo): drop the keyboard
    await _attempt(bot.edit_message_reply_markup(message.chat.id, message.message_id))


class TelegramInput(RasaTelegramInput):
    """Telegram webhook that checks the secret token before anything else."""

    callback_data = CallbackData()
    secret_token = ""
    api_base_url: Optional[Text] = None
    start_payload = "/greet"  # what Telegram's /start command sends to Rasa
    ready = True  # False when the token belongs to another bot than ``verify``
    off = False  # True when neither credentials.yml nor the environment configures it

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        """Build the channel from its credentials.yml section, else the TELEGRAM_* variables.

        Empty values count as unset; with none at all the channel is off (channels/switch.py).
        """
        values = configured("telegram", credentials)
        if values is None:
            channel = cls(None, None, None)
            channel.off = True
            return channel
        if not values.get("access_token"):
            raise InvalidConfigException("telegram: access_token is required")
        if not _SECRET.match(values.get("secret_token", "")):
            raise InvalidConfigException(
                "telegram: secret_token is required (1-256 characters of A-Z a-z 0-9 _ -)"
            )
        channel = cls(values["access_token"], values.get("verify"), values.get("webhook_url"))
        channel.secret_token = values["secret_token"]
        channel.api_base_url = values.get("api_base_url")
        channel.start_payload = values.get("start_payload", cls.start_payload)
        channel.callback_data = CallbackData()
        return channel

    def get_output_channel(self) -> Optional[TelegramOutput]:  # type: ignore[override]
        """A Telegram client (None when off); unlike Rasa's, it registers no webhook here."""
        if self.off:
            return None
        return TelegramOutput(self.access_token, self.api_base_url, self.callback_data)

    async def register(self, bot: TelegramOutput) -> None:
        """Check the bot's username and register the webhook with the secret token."""
        try:
            me = await bot.get_me()
            if self.verify and me.username != self.verify:
                self.ready = False
                logger.error("telegram: token is for @%s, not @%s", me.username, self.verify)
                return
            if self.webhook_url:
                await bot.request("setWebhook", {
                    "url": self.webhook_url, "secret_token": self.secret_token,
                    "allowed_updates": '["message", "callback_query"]',
                })
        except _API_ERRORS as error:
            logger.error("telegram: could not register the webhook: %s", error)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook, plus listeners that register it and close the client."""
        bot = self.get_output_channel()
        if bot is None:
            return off_blueprint("telegram")
        webhook = Blueprint("pause_telegram_webhook", __name__)

        @webhook.listener("after_server_start")
        async def start(app: Any, loop: Any) -> None:
            await self.register(bot)

        @webhook.listener("after_server_stop")
        async def stop(app: Any, loop: Any) -> None:
            await bot.session.close()

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not secret_matches(request.headers.get(SECRET_HEADER), self.secret_token):
                return response.text("unauthorized", status=401)
            if not self.ready:
                return response.text("misconfigured", status=503)
            try:
                update = types.Update(**request.json)
                found = incoming(update, self.callback_data, self.start_payload)
            except Exception:  # any malformed body
                return response.text("bad request", status=400)
            if found is None:
                return response.text("ignored")
            sender_id, text, query = found
            if not limits().check(sender=scoped(self.name(), sender_id)):
                logger.warning("telegram: a sender is over the rate limit")
                return too_many()
            if query is not None:
                await acknowledge(bot, query)
            try:
                sender = scoped(self.name(), sender_id)
                await on_new_message(UserMessage(text, bot, sender, input_channel=self.name()))
            except Exception:  # Telegram would retry the update forever
                logger.exception("telegram: handling an update failed")
            return response.text("success")

        return webhook
