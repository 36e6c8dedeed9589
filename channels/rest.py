"""The REST webhook, with the sender id scoped by the channel (``rest:<sender>``).

``POST /webhooks/rest/webhook`` with ``{"sender": "...", "message": "..."}`` answers with
the bot's messages (``[{"recipient_id": ..., "text": ...}]``), as Rasa's REST channel
does. Unlike Rasa's, the client cannot choose the input channel or the metadata stored
with the message, and the sender it names is only ever a REST sender: ``telegram:1`` sent
here is the conversation ``rest:telegram:1``, never Telegram's ``telegram:1``. When the
conversation store fails during the turn, the answer is 503 with an error, not the reply
Rasa makes up from an empty conversation.

credentials.yml::

    channels.rest.RestInput:
"""

import logging
from typing import Any, Awaitable, Callable, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from channels.checkin_delivery import checkin_message, deliver_held
from channels.guard import install_guard, read_message
from channels.identity import scoped
from stores.tracker_store import begin_turn, turn_failed

logger = logging.getLogger(__name__)

#: The answer when the conversation could not be read or kept (stores/tracker_store.py).
STORE_DOWN = "the conversation can't be reached right now; nothing was kept, please try again"


class RestInput(InputChannel):
    """REST webhook for scripts and tests; needs the API token (see channels/guard.py)."""

    @classmethod
    def name(cls) -> Text:
        """Webhook at /webhooks/rest/webhook; sender ids ``rest:<sender>``."""
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        """The webhook: one request, one turn, the bot's messages in the response."""
        webhook = Blueprint("pause_rest_webhook", __name__)
        install_guard(webhook)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            found = read_message(request, self.name())
            if isinstance(found, HTTPResponse):
                return found
            sender, text = found
            collector = CollectingOutputChannel()
            sender_id = scoped(self.name(), sender)

            async def checkin(to: str, checkin_id: str) -> None:  # kept for this message
                message = checkin_message(checkin_id)
                await on_new_message(UserMessage(message, collector, to, input_channel="rest"))

            begin_turn()
            try:
                await on_new_message(
                    UserMessage(text, collector, sender_id, input_channel=self.name())
                )
                await deliver_held(sender_id, checkin)
            except Exception:  # logged without the message; the client gets no trace
                logger.exception("rest: handling a message failed")
                return response.json({"error": "the message could not be handled"}, status=500)
            if turn_failed():  # Rasa answered from an empty, in-memory conversation
                logger.warning("rest: the conversation store was unavailable; turn not kept.")
                return response.json({"error": STORE_DOWN}, status=503)
            return response.json(collector.messages)

        return webhook
