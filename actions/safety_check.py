"""The help line before the answer, for a message that scored near crisis.

components/safety_check.py marks such a message (``pause_safety_check``) without changing its
intent; the reply to it opens with ``utter_safety_check`` (988, findahelpline.com, the local
emergency number) and then answers as usual. Every rule that answers a person's message opens
with ``action_check_safety`` (tests/test_safety_check.py checks the rules), except where the
rule's one action does it itself (``action_answer_faq``, the fallback) or the message is crisis.
"""

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from pause.safety_check import SAFETY_CHECK_KEY


def safety_first(tracker: Tracker, dispatcher: CollectingDispatcher) -> bool:
    """Utters the help line when the latest message was marked; True when it did.

    Once a turn: several actions may answer one message (``action_check_safety`` opens a rule,
    then the rule's action re-reads the message as an exercise answer), and the line is not
    repeated when an earlier action of the turn already sent it.
    """
    if not (tracker.latest_message or {}).get(SAFETY_CHECK_KEY) or _sent_this_turn(tracker):
        return False
    dispatcher.utter_message(response="utter_safety_check")
    return True


def _sent_this_turn(tracker: Tracker) -> bool:
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and \
                (event.get("metadata") or {}).get("utter_action") == "utter_safety_check":
            return True
    return False


class ActionCheckSafety(Action):
    """Opens the reply to a person's message with the help line, if it was marked."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_check_safety"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Utter the help line when the message scored near crisis; otherwise nothing."""
        safety_first(tracker, dispatcher)
        return []
