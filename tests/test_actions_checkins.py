"""The check-in actions: the offer, scheduling, the question, the answer, stop and resume."""

from datetime import timedelta
from typing import Any, Dict, List

import pytest
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet

from actions.checkins import (
    ActionLogCheckin,
    ActionResumeCheckins,
    ActionScheduleCheckin,
    ActionStartCheckin,
    ActionStopCheckins,
)
from actions.exercise import ActionSaveReflection
from actions.reflections import ActionExportReflections, ActionShowMap
from pause import repository
from pause.repository import FINISHED, Reflection
from stores.checkins import ANSWERED, CANCELLED, CLAIMED, PENDING, SENT
from tests.conftest import FIXED_NOW, make_tracker, message
from tests.test_actions_exercise import FULL, SAVED_RESET

ME = "telegram:42"
RID = "f" * 32
#: FIXED_NOW (Friday 20 Nov 2026, 12:00 UTC) is 13:00 in Berlin.
SATURDAY_1300 = {
    "checkin_day": "Saturday 21 November",
    "checkin_time": "13:00",
    "checkin_zone": "CET",
}


@pytest.fixture(autouse=True)
def berlin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHECKIN_TIMEZONE", "Europe/Berlin")
    monkeypatch.delenv("CHECKIN_QUIET_HOURS", raising=False)
    monkeypatch.delenv("CHECKIN_CHANNELS", raising=False)


def saved_reflection(store: Any, **answers: str) -> Reflection:
    reflection = Reflection(
        id=RID,
        user_id=ME,
        channel="telegram",
        status=FINISHED,
        answers={**{k.replace("pause_", ""): v for k, v in FULL.items()}, **answers},
        created_at=FIXED_NOW,
    )
    store.save(reflection)
    return reflection


def choice(value: str) -> List[Dict[str, Any]]:
    return [{"entity": "choice", "value": value}]


async def test_saving_on_telegram_offers_a_checkin_at_the_wait(
    store, frozen_time, dispatcher, domain
) -> None:
    tracker = make_tracker(
        "/affirm", "affirm", slots={**FULL, "reflection_id": RID}, sender_id=ME, channel="telegram"
    )
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [
        message("utter_reflection_summary"),
        message("utter_reflection_saved"),
        message("utter_checkin_offer", **SATURDAY_1300),
    ]
    assert events == SAVED_RESET + [
        SlotSet("checkin_reflection", RID),
        SlotSet("unsaved_reflections", None),
    ]


@pytest.mark.parametrize(
    "slots, channel",
    [
        ({"pause_wait": "skipped"}, "telegram"),
        ({"checkins_off": True}, "telegram"),
        ({}, "rest"),  # not a channel that delivers check-ins (CHECKIN_CHANNELS)
    ],
)
async def test_no_offer(store, frozen_time, dispatcher, domain, slots, channel) -> None:
    tracker = make_tracker(
        "/affirm",
        "affirm",
        slots={**FULL, "reflection_id": RID, **slots},
        sender_id=ME,
        channel=channel,
    )
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert dispatcher.messages == [
        message("utter_reflection_summary"),
        message("utter_reflection_saved"),
    ]
    assert events == SAVED_RESET + [SlotSet("unsaved_reflections", None)]


async def test_a_wait_without_a_time_gets_the_offer_without_one(
    store, frozen_time, dispatcher, domain
) -> None:
    slots = {**FULL, "pause_wait": "not at all", "reflection_id": RID}
    tracker = make_tracker("x", "affirm", slots=slots, sender_id=ME, channel="telegram")
    events = await ActionSaveReflection().run(dispatcher, tracker, domain)
    assert dispatcher.messages[-1] == message("utter_checkin_offer_no_time")
    assert SlotSet("checkin_reflection", RID) in events


async def schedule(dispatcher, domain, text: str, entities, slots=None, metadata=None) -> List[Any]:  # type: ignore[no-untyped-def]  # noqa: E501
    tracker = make_tracker(
        text,
        "schedule_checkin",
        slots={"checkin_reflection": RID, **(slots or {})},
        sender_id=ME,
        channel="telegram",
        entities=entities,
    )
    tracker.events[-1]["metadata"] = metadata  # what the web page sends (customData)
    return await ActionScheduleCheckin().run(dispatcher, tracker, domain)


async def test_yes_schedules_at_the_wait_once(store, frozen_time, dispatcher, domain) -> None:
    saved_reflection(store)
    events = await schedule(
        dispatcher, domain, '/schedule_checkin{"choice": "wait"}', choice("wait")
    )
    assert dispatcher.messages == [message("utter_checkin_scheduled", **SATURDAY_1300)]
    assert events == [SlotSet("checkin_reflection", None)]
    [row] = store.checkins.for_user(ME)
    assert row.reflection_id == RID and row.status == PENDING
    assert row.due_at == FIXED_NOW + timedelta(days=1) and row.channel == "telegram"
    dispatcher.messages.clear()
    events = await schedule(dispatcher, domain, "/schedule_checkin", choice("tonight"))
    assert dispatcher.messages == [message("utter_checkin_already", **SATURDAY_1300)]
    assert events == [SlotSet("checkin_reflection", None)] and len(store.checkins.for_user(ME)) == 1


async def test_a_typed_time_is_used(store, frozen_time, dispatcher, domain) -> None:
    saved_reflection(store)
    await schedule(dispatcher, domain, "check in with me in 20 minutes", [])
    assert dispatcher.messages == [
        message(
            "utter_checkin_scheduled",
            checkin_day="Friday 20 November",
            checkin_time="13:20",
            checkin_zone="CET",
        )
    ]
    [row] = store.checkins.for_user(ME)
    assert row.due_at == FIXED_NOW + timedelta(minutes=20)


async def test_the_persons_own_time_zone_places_the_time_and_the_quiet_hours(
    store, frozen_time, dispatcher, domain
) -> None:
    saved_reflection(store)  # FIXED_NOW is 01:00 on Saturday in Auckland: quiet hours there
    await schedule(dispatcher, domain, "check in with me in 20 minutes", [],
                   metadata={"language": "en", "timeZone": "Pacific/Auckland"})
    assert dispatcher.messages == [
        message("utter_checkin_scheduled", checkin_day="Saturday 21 November",
                checkin_time="08:00", checkin_zone="NZDT")
    ]
    [row] = store.checkins.for_user(ME)
    assert row.timezone == "Pacific/Auckland"
    assert row.due_at == FIXED_NOW + timedelta(hours=7)  # 08:00 NZDT is 19:00 UTC


@pytest.mark.parametrize("reported", ["Mars/Olympus", "../../etc/passwd", 42, "x" * 65, None])
async def test_an_unknown_reported_zone_falls_back_to_the_servers(
    store, frozen_time, dispatcher, domain, reported: Any
) -> None:
    saved_reflection(store)
    await schedule(dispatcher, domain, "check in with me in 20 minutes", [],
                   metadata={"timeZone": reported})
    assert dispatcher.messages == [
        message("utter_checkin_scheduled", checkin_day="Friday 20 November",
                checkin_time="13:20", checkin_zone="CET")
    ]
    [row] = store.checkins.for_user(ME)
    assert row.timezone == "Europe/Berlin"


async def test_a_time_in_quiet_hours_moves_to_the_morning(
    store, frozen_time, dispatcher, domain
) -> None:
    saved_reflection(store, wait="10 hours")  # 23:00 in Berlin
    await schedule(dispatcher, domain, "/schedule_checkin", choice("wait"))
    assert dispatcher.messages == [
        message("utter_checkin_scheduled", **{**SATURDAY_1300, "checkin_time": "08:00"})
    ]


async def test_scheduling_without_an_offer_or_when_off(
    store, frozen_time, dispatcher, domain
) -> None:
    tracker = make_tracker("check in later", "schedule_checkin", sender_id=ME, channel="telegram")
    assert await ActionScheduleCheckin().run(dispatcher, tracker, domain) == []
    assert await schedule(dispatcher, domain, "x", choice("wait"), {"checkins_off": True}) == []
    assert dispatcher.messages == [
        message("utter_checkin_nothing"),
        message("utter_checkins_are_off"),
    ]
    assert store.checkins.for_user(ME) == []


def claimed_checkin(store: Any) -> str:
    saved_reflection(store)
    checkin = store.checkins.schedule(RID, ME, "telegram", FIXED_NOW, FIXED_NOW)
    store.checkins.claim_due("w", FIXED_NOW, 120)
    return str(checkin.id)


def trigger(checkin_id: str, sender: str = ME, **kwargs: Any) -> Any:
    entities = [{"entity": "checkin", "value": checkin_id}]
    return make_tracker(
        "",
        "EXTERNAL_checkin_due",
        sender_id=sender,
        channel="telegram",
        entities=entities,
        **kwargs,
    )


async def test_the_due_checkin_asks_once(store, frozen_time, dispatcher, domain) -> None:
    checkin_id = claimed_checkin(store)
    events = await ActionStartCheckin().run(dispatcher, trigger(checkin_id), domain)
    assert events == [
        SlotSet("checkin_id", checkin_id),
        SlotSet("checkin_noticed", "an urge to be alone"),
        SlotSet("checkin_outcome", None),
        FollowupAction("checkin_form"),
    ]
    assert store.checkins.get(checkin_id, ME).status == SENT
    assert await ActionStartCheckin().run(dispatcher, trigger(checkin_id), domain) == []
    assert dispatcher.messages == []  # the form asks utter_ask_checkin_outcome


async def test_someone_elses_or_a_busy_conversation_gets_nothing(
    store, frozen_time, dispatcher, domain
) -> None:
    checkin_id = claimed_checkin(store)
    other = trigger(checkin_id, sender="telegram:7")
    assert await ActionStartCheckin().run(dispatcher, other, domain) == []
    busy = trigger(checkin_id, active_loop="pause_form")
    assert await ActionStartCheckin().run(dispatcher, busy, domain) == []
    assert store.checkins.get(checkin_id, ME).status == CLAIMED  # the scheduler retries


async def test_an_unnamed_moment_is_asked_about_with_the_domains_words(
    store, frozen_time, dispatcher, domain
) -> None:
    saved_reflection(store, noticed="skipped")
    checkin = store.checkins.schedule(RID, ME, "telegram", FIXED_NOW, FIXED_NOW)
    store.checkins.claim_due("w", FIXED_NOW, 120)
    events = await ActionStartCheckin().run(dispatcher, trigger(checkin.id), domain)
    assert SlotSet("checkin_noticed", "the urge to pull away") in events


async def answer(store, dispatcher, domain, outcome: str, **parse: Any) -> List[Any]:  # type: ignore[no-untyped-def]  # noqa: E501
    checkin_id = claimed_checkin(store)
    store.checkins.mark_sent(checkin_id, ME, FIXED_NOW)
    tracker = make_tracker(
        outcome,
        "affirm",
        sender_id=ME,
        channel="telegram",
        slots={"checkin_id": checkin_id, "checkin_outcome": outcome},
        **parse,
    )
    events = await ActionLogCheckin().run(dispatcher, tracker, domain)
    assert store.checkins.get(checkin_id, ME).status == ANSWERED
    return events


RESET = [
    SlotSet("checkin_id", None),
    SlotSet("checkin_noticed", None),
    SlotSet("checkin_outcome", None),
]


async def test_it_passed_is_logged_and_shown_on_the_map_and_export(
    store, frozen_time, monkeypatch, dispatcher, domain
) -> None:
    monkeypatch.setattr(repository, "now", lambda: FIXED_NOW + timedelta(hours=3))
    assert await answer(store, dispatcher, domain, "passed") == RESET
    assert dispatcher.messages == [message("utter_checkin_passed")]
    back = store.get(ME, RID)
    assert (back.outcome, back.outcome_words) == ("passed", None)
    dispatcher.messages.clear()
    tracker = make_tracker("my map", "show_map", sender_id=ME, channel="telegram")
    await ActionShowMap().run(dispatcher, tracker, domain)
    assert dispatcher.messages[0]["outcome_summary"] == "passed 1 of 1, longest wait held 3 hours"
    dispatcher.messages.clear()
    tracker = make_tracker("export", "export_reflections", sender_id=ME, channel="rest")
    await ActionExportReflections().run(dispatcher, tracker, domain)
    assert "- **How it went:** passed" in dispatcher.messages[0]["document"]


async def test_free_text_is_kept_in_the_persons_words(
    store, frozen_time, dispatcher, domain
) -> None:
    assert await answer(store, dispatcher, domain, "we went for a walk instead") == RESET
    assert dispatcher.messages == [message("utter_checkin_noted")]
    back = store.get(ME, RID)
    assert (back.outcome, back.outcome_words) == ("other", "we went for a walk instead")


async def test_words_that_scored_near_crisis_get_the_help_line_first(
    store, frozen_time, dispatcher, domain
) -> None:
    words = "it passed but honestly i keep thinking everyone would be lighter without me"
    assert await answer(store, dispatcher, domain, words,
                        pause_safety_check=["reader"]) == RESET
    assert dispatcher.messages == [message("utter_safety_check"), message("utter_checkin_passed")]
    back = store.get(ME, RID)
    assert (back.outcome, back.outcome_words) == ("passed", words)


@pytest.mark.parametrize(
    "outcome, response", [("acted", "utter_checkin_acted"), ("talk", "utter_checkin_talk")]
)
async def test_the_other_buttons(store, frozen_time, dispatcher, domain, outcome, response) -> None:
    assert await answer(store, dispatcher, domain, outcome) == RESET
    assert dispatcher.messages == [message(response)]
    assert store.get(ME, RID).outcome == outcome


async def test_stop_then_check_in_again(store, frozen_time, dispatcher, domain) -> None:
    saved_reflection(store)
    store.checkins.schedule(RID, ME, "telegram", FIXED_NOW, FIXED_NOW)
    tracker = make_tracker(
        "stop check-ins", "stop_checkins", sender_id=ME, active_loop="checkin_form"
    )
    assert await ActionStopCheckins().run(dispatcher, tracker, domain) == [
        SlotSet("checkins_off", True),
        SlotSet("checkin_reflection", None),
        ActiveLoop(None),
        SlotSet("requested_slot", None),
    ]
    assert [c.status for c in store.checkins.for_user(ME)] == [CANCELLED]
    tracker = make_tracker("check in with me again", "resume_checkins", sender_id=ME)
    assert await ActionResumeCheckins().run(dispatcher, tracker, domain) == [
        SlotSet("checkins_off", False)
    ]
    assert dispatcher.messages == [
        message("utter_checkins_stopped", cancelled_count=1),
        message("utter_checkins_resumed", resumed_count=1),
    ]
    assert [c.status for c in store.checkins.for_user(ME)] == [PENDING]
