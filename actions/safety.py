"""Crisis handling: resources first, in every state of the conversation."""

import logging
from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.exercise import keep_progress
from pause.steps import FORM_NAME

logger = logging.getLogger(__name__)

CHECKIN_FORM = "checkin_form"


class ActionHandleCrisis(Action):
    """Sends crisis resources at once; a running exercise is paused, not lost."""

    def name(self) -> Text:
        """Return the action's name."""
        return "action_handle_crisis"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Utter the crisis resources, then pause the exercise if one is running."""
        dispatcher.utter_message(response="utter_crisis")
        if tracker.active_loop_name == CHECKIN_FORM:  # the check-in waits; nothing to keep
            return [ActiveLoop(None), SlotSet("requested_slot", None)]
        if tracker.active_loop_name != FORM_NAME:
            return []
        events: List[EventType] = [ActiveLoop(None), SlotSet("requested_slot", None)]
        try:
            _, kept = keep_progress(tracker)  # stored or not, the events keep the answers
            events += kept
        except Exception:  # never let storage trouble touch the crisis reply
            logger.exception("Could not keep exercise progress after a crisis message.")
        return events
