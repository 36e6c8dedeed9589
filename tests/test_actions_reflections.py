"""Looking back: list, map, export and delete, always for the sender only."""

from datetime import datetime, timedelta, timezone

from rasa_sdk.events import AllSlotsReset, SlotSet

from actions.reflections import (
    ActionDeleteReflections,
    ActionExportReflections,
    ActionShowMap,
    ActionShowReflections,
)
from actions.repository import FINISHED, UNFINISHED, Reflection
from tests.conftest import make_tracker, responses

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)


def add(store, user: str, n: int, **answers: str) -> Reflection:
    reflection = Reflection(
        id=f"{user[:1]}{n:031d}",
        user_id=user,
        channel="rest",
        status=FINISHED,
        answers=answers,
        created_at=T0 + timedelta(days=n),
    )
    store.save(reflection)
    return reflection


async def test_show_lists_the_latest_few_newest_first(
    store, dispatcher, domain, monkeypatch
) -> None:
    monkeypatch.setenv("REFLECTIONS_SHOWN", "2")
    for n in range(3):
        add(store, "alice", n, noticed=f"feeling {n}", verdict="protection")
    add(store, "bob", 9, noticed="bob's secret")
    tracker = make_tracker("show my reflections", "show_reflections")
    assert await ActionShowReflections().run(dispatcher, tracker, domain) == []
    message = dispatcher.messages[0]
    assert message["response"] == "utter_reflections_list"
    lines = message["reflection_list"].splitlines()
    assert len(lines) == 2
    assert "feeling 2" in lines[0] and "feeling 1" in lines[1]
    assert "bob" not in message["reflection_list"]


async def test_show_with_nothing_stored(store, dispatcher, domain) -> None:
    await ActionShowReflections().run(
        dispatcher, make_tracker("my entries", "show_reflections"), domain
    )
    assert responses(dispatcher) == ["utter_no_reflections"]


async def test_show_when_the_store_is_down(broken_store, dispatcher, domain) -> None:
    await ActionShowReflections().run(
        dispatcher, make_tracker("my entries", "show_reflections"), domain
    )
    assert responses(dispatcher) == ["utter_store_unavailable"]


async def test_show_saves_what_was_kept_first(store, dispatcher, domain) -> None:
    kept = Reflection(id="k" * 32, user_id="alice", channel="rest", answers={"noticed": "kept"})
    tracker = make_tracker(
        "my entries", "show_reflections", slots={"unsaved_reflections": [kept.to_dict()]}
    )
    await ActionShowReflections().run(dispatcher, tracker, domain)
    assert "kept" in dispatcher.messages[0]["reflection_list"]


async def test_map_aggregates_and_adds_an_observation(store, dispatcher, domain) -> None:
    add(
        store,
        "alice",
        1,
        before="a great weekend",
        reason="she is too needy",
        verdict="protection",
        wait="a day",
    )
    add(
        store,
        "alice",
        2,
        before="she said i love you",
        reason="i need space",
        verdict="protection",
        wait="an hour",
    )
    add(store, "alice", 3, before="our date", reason="too much", verdict="real", wait="2 days")
    add(store, "bob", 4, before="conflict", verdict="real")
    tracker = make_tracker("my map", "show_map")
    assert await ActionShowMap().run(dispatcher, tracker, domain) == []
    summary, observation = dispatcher.messages
    assert summary["response"] == "utter_map" and summary["reflection_count"] == 3
    assert summary["top_triggers"] == "a good time together (2), loving words (1)"
    assert summary["top_reasons"] == "they're too much (2), I need space (1)"
    assert summary["verdict_split"] == "protection 2, real signal 1, not sure 0"
    assert summary["wait_summary"] == "usually about 1 day, longest 2 days"
    assert observation["response"] == "utter_map_observation_protection"


async def test_export_is_markdown_with_every_answer(store, dispatcher, domain) -> None:
    add(
        store,
        "alice",
        1,
        noticed="irritation",
        before="a hug",
        body="tense",
        reason="he is clingy",
        verdict="protection",
        wait="a day",
        step="skipped",
    )
    unfinished = Reflection(
        id="u" * 32,
        user_id="alice",
        channel="rest",
        status=UNFINISHED,
        answers={"noticed": "urge to run"},
        created_at=T0,
    )
    store.save(unfinished)
    add(store, "bob", 2, noticed="bob only")
    tracker = make_tracker("export my reflections", "export_reflections")
    await ActionExportReflections().run(dispatcher, tracker, domain)
    document = dispatcher.messages[0]["document"]
    assert document.startswith("# My pause reflections")
    assert document.index("urge to run") < document.index("irritation")  # oldest first
    assert "**Mind's reason:** he is clingy" in document and "(unfinished)" in document
    assert "bob only" not in document


async def test_delete_removes_only_the_senders_reflections(store, dispatcher, domain) -> None:
    add(store, "alice", 1, noticed="a")
    add(store, "alice", 2, noticed="b")
    add(store, "bob", 3, noticed="c")
    tracker = make_tracker("yes", "affirm")
    events = await ActionDeleteReflections().run(dispatcher, tracker, domain)
    assert events == [AllSlotsReset(), SlotSet("forget_me", True)]
    assert dispatcher.messages[0]["response"] == "utter_reflections_deleted"
    assert dispatcher.messages[0]["deleted_count"] == 2
    assert store.for_user("alice") == [] and len(store.for_user("bob")) == 1


async def test_delete_when_the_store_is_down_forgets_nothing(
    broken_store, dispatcher, domain
) -> None:
    events = await ActionDeleteReflections().run(dispatcher, make_tracker("yes", "affirm"), domain)
    assert events == [] and responses(dispatcher) == ["utter_store_unavailable"]
