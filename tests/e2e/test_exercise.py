"""The whole exercise over REST, a restart of both servers in the middle, and deletion."""

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from pause.repository import ReflectionRepository
from pause.settings import load_settings
from stores.crypto import cipher_for
from tests.e2e.conftest import ROOT, Assistant, environment
from tests.e2e.test_rest import joined

pytestmark = pytest.mark.e2e

ANSWERS = [
    ("/affirm", "utter_ask_pause_before"),  # 1 confirm the moment just described
    ("she said she loves me", "utter_ask_pause_body"),  # 2 just before
    ("tight chest, restless", "utter_ask_pause_reason"),  # 3 body
    ("she is too much for me", "utter_ask_pause_verdict"),  # 4 the mind's reason
    ('/affirm{"choice": "protection"}', "utter_ask_pause_wait"),  # 5
    ("a day", "utter_ask_pause_step"),  # 6
]


def last(replies):  # type: ignore[no-untyped-def]
    return replies[-1]["text"] if replies else ""


def ask(responses, name):  # type: ignore[no-untyped-def]
    return responses[name][-1]["text"].split("**")[1]  # the "**n/7 · Title.**" heading


def rows(db: Path, sender: str):  # type: ignore[no-untyped-def]
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.connect() as conn:
        result = (
            conn.execute(
                sa.text("SELECT * FROM reflections WHERE user_id = :u"), {"u": f"rest:{sender}"}
            )
            .mappings()
            .all()
        )
    engine.dispose()
    return result


def test_exercise_survives_a_restart_and_is_stored_once(tmp_path: Path, responses) -> None:
    env = environment(tmp_path)
    assistant = Assistant(env, ROOT / "artifacts" / "logs" / "e2e-restart").start()
    sender, stranger = f"e2e-{uuid.uuid4().hex[:8]}", f"e2e-{uuid.uuid4().hex[:8]}"
    try:
        replies = assistant.say(sender, "we had a great weekend and now i just want to be alone")
        assert replies[0]["text"] == responses["utter_signal_need_to_be_alone"][0]["text"]
        replies = assistant.say(sender, "/start_exercise")
        assert "Earlier you described an urgent need to be alone" in last(replies)
        for text, expected in ANSWERS[:3]:
            assert ask(responses, expected) in last(assistant.say(sender, text))
    finally:
        assistant.stop()

    assistant.start()  # both servers again, same stores
    try:
        replies = assistant.say(sender, "resume")  # the form and its answers survived
        assert replies[0]["text"] == responses["utter_resuming"][0]["text"]
        assert ask(responses, "utter_ask_pause_reason") in last(replies)
        for text, expected in ANSWERS[3:]:
            assert ask(responses, expected) in last(assistant.say(sender, text))
        replies = assistant.say(sender, "skip")
        summary = replies[0]["text"]
        assert "she said she loves me" in summary and "**Small step:** skipped" in summary
        assert replies[-1]["text"] == responses["utter_reflection_saved"][0]["text"]

        [row] = rows(Path(env["PAUSE_VAR_DIR"]) / "reflections.db", sender)
        assert row["status"] == "finished" and row["signal"] == "need_to_be_alone"
        assert "she is too much" not in str(dict(row))  # encrypted at rest
        settings = load_settings(env)
        store = ReflectionRepository(settings.reflections_db_url, cipher_for(settings))
        [stored] = store.for_user(f"rest:{sender}")
        store.dispose()
        assert stored.answers["noticed"] == "an urgent need to be alone"
        assert stored.answers["verdict"] == "protection"
        assert stored.answers["reason"] == "she is too much for me"
        assert stored.answers["step"] == "skipped"

        mine = assistant.say(sender, "show my reflections")[0]["text"]
        assert "an urgent need to be alone" in mine
        theirs = assistant.say(stranger, "show my reflections")[0]["text"]
        assert theirs == responses["utter_no_reflections"][0]["text"]

        map_text = assistant.say(sender, "my map")[0]["text"]
        assert "(reflections: 1)" in map_text and "protection 1" in map_text
        export = joined(assistant.say(sender, "export my reflections"))
        assert "# My pause reflections" in export and "tight chest, restless" in export
    finally:
        assistant.stop()
    for log in assistant.log_dir.glob("*.log"):  # no reflection text is ever logged
        text = log.read_text()
        assert "she is too much for me" not in text and "tight chest" not in text, log


def test_stop_and_resume_at_the_same_step(assistant, sender, responses) -> None:
    assistant.say(sender, "help me pause, i want to run")
    assistant.say(sender, "irritation out of nowhere")
    replies = assistant.say(sender, "stop")
    assert replies[-1]["text"] == responses["utter_exercise_stopped"][0]["text"]
    replies = assistant.say(sender, "resume")
    assert replies[0]["text"] == responses["utter_resuming"][0]["text"]
    assert ask(responses, "utter_ask_pause_before") in last(replies)


def test_a_question_in_the_middle_comes_back_to_the_step(assistant, sender, responses) -> None:
    assistant.say(sender, "start the exercise")
    replies = assistant.say(sender, "what is deactivation?")
    assert replies[0]["text"] == responses["utter_faq/deactivation"][0]["text"]
    assert ask(responses, "utter_ask_pause_noticed") in last(replies)


def test_crisis_interrupts_the_exercise(assistant, sender, responses) -> None:
    assistant.say(sender, "start the exercise")
    replies = assistant.say(sender, "i want to kill myself")
    assert joined(replies) == responses["utter_crisis"][0]["text"]  # and nothing else


def test_over_long_answer_is_re_asked(assistant, sender, responses) -> None:
    assistant.say(sender, "start the exercise")
    replies = assistant.say(sender, "word " * 500)
    assert "under 2000 characters" in replies[0]["text"]
    assert ask(responses, "utter_ask_pause_noticed") in last(replies)


def test_delete_removes_reflections_and_history(assistant, sender, responses) -> None:
    assistant.say(sender, "start the exercise")
    assistant.say(sender, "feeling smothered")
    assistant.say(sender, "stop")
    replies = assistant.say(sender, "delete my reflections")
    assert replies[-1]["text"] == responses["utter_confirm_delete"][0]["text"]
    replies = assistant.say(sender, "/affirm")
    assert replies[0]["text"].startswith("Done. Your reflections (1) and our conversation")
    events = assistant.tracker(f"rest:{sender}")["events"]
    assert "feeling smothered" not in str(events)
    assert (
        assistant.say(sender, "show my reflections")[0]["text"]
        == responses["utter_no_reflections"][0]["text"]
    )


@pytest.mark.parametrize("opening", ["help me pause", "start the exercise"])
def test_an_exercise_starts_with_the_intro_and_step_one_only(
    assistant, sender, responses, opening
) -> None:
    replies = assistant.say(sender, opening)
    assert [r["text"] for r in replies] == [
        responses["utter_exercise_intro"][0]["text"],
        responses["utter_ask_pause_noticed"][0]["text"],  # no moment described: no label
    ]
