"""Crisis handling: the resources come first, and an exercise is paused, never lost."""

from rasa_sdk.events import ActiveLoop, SlotSet

from actions.safety import ActionHandleCrisis
from pause.repository import UNFINISHED, Reflection
from tests.conftest import FIXED_NOW, make_tracker, message

ANSWERS = {"noticed": "urge to run", **dict.fromkeys(("before", "body", "reason"))}
ANSWERS.update(dict.fromkeys(("verdict", "wait", "step")))


async def test_crisis_outside_a_form_sends_resources(dispatcher, domain) -> None:
    tracker = make_tracker("i don't want to be here anymore", "crisis")
    assert await ActionHandleCrisis().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_crisis")]
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
    assert dispatcher.messages == [message("utter_crisis")]
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("reflection_id", "z" * 32),
        SlotSet("unsaved_reflections", None),
    ]
    stored = store.get("alice", "z" * 32)
    assert stored is not None and stored.status == UNFINISHED
    assert stored.answers == ANSWERS


async def test_crisis_during_a_store_outage_keeps_the_answers_for_a_retry(
    broken_store, frozen_time, dispatcher, domain
) -> None:
    slots = {"pause_noticed": "urge to run", "reflection_id": "y" * 32}
    tracker = make_tracker("kms", "crisis", slots=slots, active_loop="pause_form")
    events = await ActionHandleCrisis().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_crisis")]
    kept = Reflection(
        id="y" * 32,
        user_id="alice",
        channel="rest",
        status=UNFINISHED,
        answers=ANSWERS,
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("reflection_id", "y" * 32),
        SlotSet("unsaved_reflections", [kept.to_dict()]),
    ]


async def test_the_kept_answers_are_saved_after_the_outage(store, dispatcher, domain) -> None:
    """What the crisis kept in the conversation reaches the store at the next save."""
    from actions.exercise import ActionSaveReflection

    kept = Reflection(id="y" * 32, user_id="alice", channel="rest", answers=ANSWERS)
    tracker = make_tracker("yes", "affirm", slots={"unsaved_reflections": [kept.to_dict()]})
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert events == [SlotSet("unsaved_reflections", None)]
    assert dispatcher.messages == [message("utter_reflection_saved")]
    stored = store.get("alice", "y" * 32)
    assert stored is not None and stored.answers == ANSWERS and stored.status == UNFINISHED
