"""Looking back: list, map, export and delete, always for the sender only."""

from datetime import datetime, timedelta, timezone

from rasa_sdk.events import AllSlotsReset, SlotSet

from actions.reflections import (
    ActionDeleteReflections,
    ActionExportReflections,
    ActionShowMap,
    ActionShowReflections,
)
from pause.repository import FINISHED, UNFINISHED, Reflection
from tests.conftest import make_tracker, message

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=timezone.utc)
TOP_SIGNALS = "not enough yet"  # no signal was recorded
ITEM_1 = """## 2026-11-02 09:00 UTC (finished)

- **Noticed:** irritation
- **Just before:** -
- **Body:** -
- **Mind's reason:** -
- **Signal or protection:** -
- **Could wait:** -
- **Small step:** -
- **How it went:** -"""
EXPORT = """# My pause reflections

## 2026-11-01 09:00 UTC (unfinished)

- **Noticed:** urge to run
- **Just before:** -
- **Body:** -
- **Mind's reason:** -
- **Signal or protection:** -
- **Could wait:** -
- **Small step:** -
- **How it went:** -

## 2026-11-02 09:00 UTC (finished)

- **Noticed:** irritation
- **Just before:** a hug
- **Body:** tense
- **Mind's reason:** he is clingy
- **Signal or protection:** protection
- **Could wait:** a day
- **Small step:** skipped
- **How it went:** -"""


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
    lines = [
        "- **03 Nov 2026** · noticed: feeling 2 · signal or protection: protection (finished)",
        "- **02 Nov 2026** · noticed: feeling 1 · signal or protection: protection (finished)",
    ]
    assert dispatcher.messages == [
        message("utter_reflections_list", reflection_list="\n".join(lines))
    ]


async def test_show_with_nothing_stored(store, dispatcher, domain) -> None:
    events = await ActionShowReflections().run(
        dispatcher, make_tracker("my entries", "show_reflections"), domain
    )
    assert events == [] and dispatcher.messages == [message("utter_no_reflections")]


async def test_show_when_the_store_is_down(broken_store, dispatcher, domain) -> None:
    events = await ActionShowReflections().run(
        dispatcher, make_tracker("my entries", "show_reflections"), domain
    )
    assert events == [] and dispatcher.messages == [message("utter_store_unavailable")]


async def test_show_saves_what_was_kept_first(store, frozen_time, dispatcher, domain) -> None:
    kept = Reflection(id="k" * 32, user_id="alice", channel="rest", answers={"noticed": "kept"})
    tracker = make_tracker(
        "my entries", "show_reflections", slots={"unsaved_reflections": [kept.to_dict()]}
    )
    assert await ActionShowReflections().run(dispatcher, tracker, domain) == []
    line = "- **20 Nov 2026** · noticed: kept · signal or protection: - (unfinished)"
    assert dispatcher.messages == [message("utter_reflections_list", reflection_list=line)]
    assert store.get("alice", "k" * 32) is not None


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
    assert dispatcher.messages == [
        message(
            "utter_map",
            reflection_count=3,
            top_signals=TOP_SIGNALS,
            top_triggers="a good time together (2), loving words (1)",
            top_reasons="they're too much (2), I need space (1)",
            verdict_split="protection 2, real signal 1, not sure 0",
            wait_summary="usually about 1 day, longest 2 days",
            outcome_summary="not enough yet",
        ),
        message("utter_map_observation_protection"),
    ]


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
    assert await ActionExportReflections().run(dispatcher, tracker, domain) == []
    assert dispatcher.messages == [message("utter_reflections_export", document=EXPORT)]


async def test_export_on_the_web_page_is_a_signed_link(
    store, dispatcher, domain, monkeypatch
) -> None:
    from pause import links

    monkeypatch.setenv("EXPORT_SECRET", "s" * 32)
    monkeypatch.setattr(links.time, "time", lambda: 1_800_000_000.0)
    add(store, "alice", 1, noticed="irritation")
    tracker = make_tracker("export my reflections", "export_reflections", channel="socketio")
    assert await ActionExportReflections().run(dispatcher, tracker, domain) == []
    token = links.sign("alice", "s" * 32, 900, now=1_800_000_000.0)
    url = f"http://127.0.0.1:8080/export/{token}"
    assert dispatcher.messages == [
        message("utter_reflections_export_link", export_url=url, export_minutes=15)
    ]


async def test_export_in_a_messaging_app_is_a_file(store, dispatcher, domain) -> None:
    add(store, "alice", 1, noticed="irritation")
    tracker = make_tracker("export my reflections", "export_reflections", channel="telegram")
    assert await ActionExportReflections().run(dispatcher, tracker, domain) == []
    document = "\n\n".join(["# My pause reflections", ITEM_1])
    file = {"type": "document", "filename": "pause-reflections.md", "content": document}
    assert dispatcher.messages == [
        message("utter_reflections_export_file"),
        message(None, json_message=file),
    ]


async def test_delete_removes_only_the_senders_reflections(store, dispatcher, domain) -> None:
    add(store, "alice", 1, noticed="a")
    add(store, "alice", 2, noticed="b")
    add(store, "bob", 3, noticed="c")
    tracker = make_tracker("yes", "affirm")
    events = await ActionDeleteReflections().run(dispatcher, tracker, domain)
    assert events == [AllSlotsReset(), SlotSet("forget_me", True)]
    assert dispatcher.messages == [message("utter_reflections_deleted", deleted_count=2)]
    assert store.for_user("alice") == [] and len(store.for_user("bob")) == 1


async def test_delete_when_the_store_is_down_forgets_nothing(
    broken_store, dispatcher, domain
) -> None:
    events = await ActionDeleteReflections().run(dispatcher, make_tracker("yes", "affirm"), domain)
    assert events == [] and dispatcher.messages == [message("utter_store_unavailable")]
