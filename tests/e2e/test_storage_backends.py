"""Rasa on PostgreSQL (tracker store and reflections) with Redis as lock store."""
import uuid
from pathlib import Path

import pytest

from tests.e2e.conftest import ROOT, Assistant, environment
from tests.servers import RedisServer

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.fixture
def redis():  # type: ignore[no-untyped-def]
    server = RedisServer().start()
    yield server
    server.stop()


def test_conversation_and_reflections_on_postgres_and_redis(
    tmp_path: Path, postgres, redis, responses
) -> None:
    name = uuid.uuid4().hex[:8]
    env = environment(
        tmp_path,
        TRACKER_DB_URL=postgres.create_database(f"tracker_{name}"),
        REFLECTIONS_DB_URL=postgres.create_database(f"reflections_{name}"),
        REDIS_HOST="127.0.0.1",
        REDIS_PORT=str(redis.port),
    )
    assistant = Assistant(env, ROOT / "artifacts" / "logs" / "e2e-postgres").start()
    sender = f"pg-{name}"
    try:
        assistant.say(sender, "help me pause")
        assistant.say(sender, "irritation out of nowhere")
        replies = assistant.say(sender, "stop")
        assert replies[-1]["text"] == responses["utter_exercise_stopped"][0]["text"]
    finally:
        assistant.stop()
    assert not (tmp_path / "var" / "tracker.db").exists()  # nothing went to SQLite

    assistant.start()
    try:
        replies = assistant.say(sender, "resume")
        assert replies[0]["text"] == responses["utter_resuming"][0]["text"]
        assert "2/7" in replies[-1]["text"]
        listed = assistant.say(sender, "show my reflections")
        assert "irritation out of nowhere" in listed[0]["text"]
    finally:
        assistant.stop()
