"""The help line before the answer, for a message that scored near crisis.

components/safety_check.py marks such a message (``pause_safety_check``) without changing its
intent; every reply to it opens with ``utter_safety_check`` (988, findahelpline.com, the local
emergency number) and then answers as usual.
"""

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from pause.safety_check import SAFETY_CHECK_KEY


def safety_first(tracker: Tracker, dispatcher: CollectingDispatcher) -> bool:
    """Utters the help line when the latest message was marked; True when it did."""
    if not (tracker.latest_message or {}).get(SAFETY_CHECK_KEY):
        return False
    dispatcher.utter_message(response="utter_safety_check")
    return True


class ActionCheckSafety(Action):
    """Opens the reply to a moment or an out-of-scope message with the help line, if marked."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_check_safety"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Utter the help line when the message scored near crisis; otherwise nothing."""
        safety_first(tracker, dispatcher)
        return []
