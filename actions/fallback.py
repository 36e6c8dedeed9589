"""The first stage of the two-stage fallback: suggest the closest topics."""

from typing import List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.faq import suggest
from actions.safety_check import safety_first


class ActionDefaultAskAffirmation(Action):
    """Replaces Rasa's "Did you mean <intent>?" with buttons for the closest topics."""

    def name(self) -> Text:
        """Return the action's name (overrides Rasa's default action)."""
        return "action_default_ask_affirmation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> List[EventType]:
        """Offer the closest topics and a "something else" button.

        When the message scored near crisis (crisis ranked first but too unsure to be taken,
        and so on: pause/safety_check.py), where to find help comes first: a crisis is never
        swallowed silently.
        """
        safety_first(tracker, dispatcher)
        suggest(dispatcher, tracker, domain)
        return []
