"""Crisis handling: the resources come first, and an exercise is paused, never lost."""

from rasa_sdk.events import ActiveLoop, SlotSet

from actions.safety import ActionHandleCrisis
from tests.conftest import make_tracker, responses


async def test_crisis_outside_a_form_sends_resources(dispatcher, domain) -> None:
    tracker = make_tracker("i don't want to be here anymore", "crisis")
    assert await ActionHandleCrisis().run(dispatcher, tracker, domain) == []
    assert responses(dispatcher) == ["utter_crisis"]
    text = domain["responses"]["utter_crisis"][0]["text"]
    assert "988" in text and "findahelpline.com" in text and "emergency number" in text


async def test_crisis_in_the_exercise_answers_first_and_keeps_progress(
    store, dispatcher, domain
) -> None:
    slots = {
        "pause_noticed": "urge to run",
        "reflection_id": "z" * 32,
        "requested_slot": "pause_before",
    }
    tracker = make_tracker("i want to end it all", "crisis", slots=slots, active_loop="pause_form")
    events = await ActionHandleCrisis().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_crisis"]
    assert events[:2] == [ActiveLoop(None), SlotSet("requested_slot", None)]
    assert store.get("alice", "z" * 32).answer("noticed") == "urge to run"


async def test_crisis_reply_survives_a_broken_store(broken_store, dispatcher, domain) -> None:
    tracker = make_tracker("kms", "crisis", slots={"pause_noticed": "x"}, active_loop="pause_form")
    events = await ActionHandleCrisis().run(dispatcher, tracker, domain)
    assert responses(dispatcher) == ["utter_crisis"]
    assert ActiveLoop(None) in events
