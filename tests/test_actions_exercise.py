"""The pause exercise: start, validation of each step, stop, resume, save."""

from typing import Any, Dict

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.exercise import (
    ActionResumeExercise,
    ActionSaveReflection,
    ActionStartExercise,
    ActionStopExercise,
)
from actions.steps import ValidatePauseForm
from pause.repository import FINISHED, UNFINISHED, Reflection
from pause.steps import FORM_NAME, SLOTS
from tests.conftest import FIXED_NOW, make_tracker, message, user_event

FULL = {
    "pause_noticed": "an urge to be alone",
    "pause_before": "a lovely weekend together",
    "pause_body": "tight chest",
    "pause_reason": "she is too much",
    "pause_verdict": "protection",
    "pause_wait": "a day",
    "pause_step": "skipped",
}


CLEARED = [SlotSet(slot, None) for slot in SLOTS.values()]


def slot_events(events: Any) -> Dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e["event"] == "slot"}


@pytest.fixture
def fixed_ids(monkeypatch: pytest.MonkeyPatch) -> str:
    """New reflection ids are ``"n" * 32``."""
    from actions import exercise

    monkeypatch.setattr(exercise, "new_reflection_id", lambda: "n" * 32)
    return "n" * 32


async def test_start_prefills_step_one_from_a_recent_moment(dispatcher, domain, fixed_ids) -> None:
    moment = user_event("we had a great weekend and now i want to run", "share_experience")
    tracker = make_tracker("yes", "affirm", slots={"signal": "urge_to_run"}, events=[moment])
    events = await ActionStartExercise().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_exercise_intro")]
    assert events == CLEARED + [
        SlotSet("reflection_id", fixed_ids),
        SlotSet("signal_label", "an urge to run after a close moment"),
    ]


async def test_start_ignores_an_old_signal(dispatcher, domain, fixed_ids) -> None:
    old = [user_event("i feel smothered", "share_experience")] + [
        user_event(f"question {i}", "faq") for i in range(3)
    ]
    tracker = make_tracker(
        "help me pause", "start_exercise", slots={"signal": "feeling_smothered"}, events=old
    )
    events = await ActionStartExercise().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_exercise_intro")]
    assert events == CLEARED + [SlotSet("reflection_id", fixed_ids), SlotSet("signal_label", None)]


async def test_the_form_does_not_take_the_starts_reset_for_empty_answers(
    dispatcher, domain, fixed_ids
) -> None:
    """The reset slots reach the form's validation; none of them is an (empty) answer."""
    start = await ActionStartExercise().run(
        CollectingDispatcher(), make_tracker("help me pause", "start_exercise"), domain
    )
    after = [{"event": "action", "name": "action_start_exercise"}, *start]
    after += [{"event": "active_loop", "name": FORM_NAME}]
    after += [{"event": "slot", "name": slot, "value": None} for slot in SLOTS.values()]
    tracker = make_tracker(
        "help me pause", "start_exercise", after=after, active_loop=FORM_NAME
    )
    events = await ValidatePauseForm().run(dispatcher, tracker, domain)
    assert dispatcher.messages == []
    assert events == CLEARED


@pytest.mark.parametrize(
    ("method", "value", "expected", "response"),
    [
        (
            "validate_pause_before",
            "  we had dinner with her parents  ",
            "we had dinner with her parents",
            None,
        ),
        ("validate_pause_body", "   ", None, "utter_answer_empty"),
        ("validate_pause_body", None, None, None),  # a reset, not an answer
        ("validate_pause_reason", "x" * 2000, "x" * 2000, None),
        ("validate_pause_verdict", "honestly it's protection", "protection", None),
        ("validate_pause_verdict", "idk", "not sure", None),
        ("validate_pause_verdict", "real", "real", None),
        ("validate_pause_step", "skipped", "skipped", None),
        ("validate_pause_wait", "skipped", None, "utter_step_not_skippable"),
    ],
    ids=["trimmed", "blank", "reset", "at-limit", "verdict", "unsure", "real", "skip", "no-skip"],
)
async def test_validation(method, value, expected, response, dispatcher, domain) -> None:
    tracker = make_tracker(str(value), "share_experience", active_loop="pause_form")
    result = getattr(ValidatePauseForm(), method)(value, dispatcher, tracker, domain)
    slot = method.replace("validate_", "")
    assert result == {slot: expected}
    assert dispatcher.messages == ([message(response)] if response else [])


async def test_too_long_answer_names_the_limit(dispatcher, domain) -> None:
    tracker = make_tracker("x", "share_experience", active_loop="pause_form")
    result = ValidatePauseForm().validate_pause_body("y" * 3000, dispatcher, tracker, domain)
    assert result == {"pause_body": None}
    assert dispatcher.messages == [message("utter_answer_too_long", max_chars=2000)]


async def test_confirming_the_known_signal_fills_step_one(dispatcher, domain) -> None:
    tracker = make_tracker(
        "yes", "affirm", active_loop="pause_form", slots={"signal_label": "feeling smothered"}
    )
    result = ValidatePauseForm().validate_pause_noticed("confirmed", dispatcher, tracker, domain)
    assert result == {"pause_noticed": "feeling smothered"}
    assert dispatcher.messages == []


async def test_stop_keeps_the_answers_as_unfinished(store, dispatcher, domain) -> None:
    slots = {
        "pause_noticed": "irritation",
        "pause_before": "she said i love you",
        "reflection_id": "a" * 32,
        "requested_slot": "pause_body",
    }
    tracker = make_tracker("stop", "stop_exercise", slots=slots, active_loop="pause_form")
    events = await ActionStopExercise().run(dispatcher, tracker, domain)
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("reflection_id", "a" * 32),
        SlotSet("unsaved_reflections", None),
    ]
    assert dispatcher.messages == [message("utter_exercise_stopped")]
    stored = store.get("alice", "a" * 32)
    assert stored is not None and stored.status == UNFINISHED
    assert stored.answer("before") == "she said i love you" and stored.answer("body") is None


async def test_stop_outside_the_exercise_just_acknowledges(store, dispatcher, domain) -> None:
    tracker = make_tracker("not now", "stop_exercise")
    assert await ActionStopExercise().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_exercise_declined")]


async def test_stop_with_a_broken_store_keeps_answers_in_the_conversation(
    broken_store, frozen_time, dispatcher, domain
) -> None:
    slots = {"pause_noticed": "irritation", "reflection_id": "b" * 32}
    tracker = make_tracker("stop", "stop_exercise", slots=slots, active_loop="pause_form")
    events = await ActionStopExercise().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_exercise_stopped_not_saved")]
    kept = Reflection(
        id="b" * 32,
        user_id="alice",
        channel="rest",
        status=UNFINISHED,
        answers={step: ("irritation" if step == "noticed" else None) for step in SLOTS},
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("reflection_id", "b" * 32),
        SlotSet("unsaved_reflections", [kept.to_dict()]),
    ]


async def test_resume_from_the_conversation(store, dispatcher, domain) -> None:
    tracker = make_tracker("resume", "resume_exercise", slots={"pause_noticed": "irritation"})
    assert await ActionResumeExercise().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_resuming")]


async def test_resume_from_the_store_after_the_conversation_lost_it(
    store, dispatcher, domain
) -> None:
    store.save(
        Reflection(
            id="c" * 32,
            user_id="alice",
            channel="rest",
            answers={"noticed": "irritation", "before": "a good date"},
        )
    )
    tracker = make_tracker("let's continue", "resume_exercise")
    events = await ActionResumeExercise().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_resuming")]
    answers = {"noticed": "irritation", "before": "a good date"}
    assert events == [SlotSet("reflection_id", "c" * 32)] + [
        SlotSet(slot, answers.get(step)) for step, slot in SLOTS.items()
    ]


async def test_resume_with_nothing_paused_starts_fresh(
    store, dispatcher, domain, fixed_ids
) -> None:
    tracker = make_tracker("resume", "resume_exercise")
    events = await ActionResumeExercise().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [
        message("utter_nothing_to_resume"),
        message("utter_exercise_intro"),
    ]
    assert events == CLEARED + [SlotSet("reflection_id", fixed_ids), SlotSet("signal_label", None)]


async def test_resume_does_not_show_another_users_reflection(
    store, dispatcher, domain, fixed_ids
) -> None:
    store.save(Reflection(id="d" * 32, user_id="bob", channel="rest", answers={"noticed": "x"}))
    tracker = make_tracker("resume", "resume_exercise", sender_id="alice")
    events = await ActionResumeExercise().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [
        message("utter_nothing_to_resume"),
        message("utter_exercise_intro"),
    ]
    assert events == CLEARED + [SlotSet("reflection_id", fixed_ids), SlotSet("signal_label", None)]


SAVED_RESET = CLEARED + [
    SlotSet("reflection_id", None),
    SlotSet("signal_label", None),
    SlotSet("signal", None),
]


async def test_save_stores_once_and_resets(store, dispatcher, domain) -> None:
    tracker = make_tracker("skip", "skip_step", slots={**FULL, "reflection_id": "e" * 32})
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [
        message("utter_reflection_summary"),
        message("utter_reflection_saved"),
    ]
    assert events == SAVED_RESET + [SlotSet("unsaved_reflections", None)]
    saved = store.for_user("alice")
    assert len(saved) == 1 and saved[0].status == FINISHED
    assert saved[0].answers == {slot.replace("pause_", ""): v for slot, v in FULL.items()}
    await ActionSaveReflection().run(dispatcher, tracker, domain)  # the same id again
    assert len(store.for_user("alice")) == 1


async def test_save_failure_tells_the_person_and_keeps_it(
    broken_store, frozen_time, dispatcher, domain
) -> None:
    tracker = make_tracker("skip", "skip_step", slots={**FULL, "reflection_id": "f" * 32})
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_reflection_summary")]
    kept = Reflection(
        id="f" * 32,
        user_id="alice",
        channel="rest",
        status=FINISHED,
        answers={slot.replace("pause_", ""): v for slot, v in FULL.items()},
        created_at=FIXED_NOW,
        updated_at=FIXED_NOW,
    )
    assert events == SAVED_RESET + [
        SlotSet("unsaved_reflections", [kept.to_dict()]),
        FollowupAction("utter_reflection_not_saved"),
    ]


async def test_retry_saves_what_was_kept(store, dispatcher, domain) -> None:
    kept = Reflection(
        id="g" * 32, user_id="alice", channel="rest", status=FINISHED, answers={"noticed": "x"}
    ).to_dict()
    tracker = make_tracker("yes", "affirm", slots={"unsaved_reflections": [kept]})
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [message("utter_reflection_saved")]
    assert events == [SlotSet("unsaved_reflections", None)]
    assert store.get("alice", "g" * 32) is not None


@pytest.mark.parametrize(
    ("text", "intent", "requested", "kept"),
    [
        ("a day", "stop_exercise", "pause_wait", "a day"),
        ("she is too much", "show_map", "pause_reason", "she is too much"),
        ("real", "resume_exercise", "pause_verdict", "real"),
        ("my chest is tight", "delete_reflections", "pause_body", "my chest is tight"),
    ],
)
async def test_an_answer_misread_as_a_command_is_kept(
    text, intent, requested, kept, store, dispatcher, domain
) -> None:
    tracker = make_tracker(
        text, intent, active_loop="pause_form", slots={"requested_slot": requested}
    )
    action = (
        ActionStopExercise()
        if intent in ("stop_exercise", "delete_reflections")
        else (ActionResumeExercise() if intent == "resume_exercise" else None)
    )
    if action is None:
        from actions.reflections import ActionShowMap

        action = ActionShowMap()
    events = await action.run(dispatcher, tracker, domain)
    assert events == [SlotSet(requested, kept), FollowupAction("pause_form")]
    assert dispatcher.messages == []


@pytest.mark.parametrize("text", ["stop", "let's finish later", "not right now", "/stop_exercise"])
async def test_a_real_stop_still_stops(text, store, dispatcher, domain) -> None:
    tracker = make_tracker(
        text,
        "stop_exercise",
        active_loop="pause_form",
        slots={"requested_slot": "pause_wait", "pause_noticed": "x", "reflection_id": "h" * 32},
    )
    events = await ActionStopExercise().run(dispatcher, tracker, domain)
    assert events == [
        ActiveLoop(None),
        SlotSet("requested_slot", None),
        SlotSet("reflection_id", "h" * 32),
        SlotSet("unsaved_reflections", None),
    ]
    assert dispatcher.messages == [message("utter_exercise_stopped")]
