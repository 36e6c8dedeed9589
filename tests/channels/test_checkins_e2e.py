"""Check-ins end to end on Telegram and Slack: real servers and scheduler, the fake platform
APIs, a test clock.

The scheduler's clock is moved forward through ``PAUSE_TEST_CLOCK_FILE`` (read only when
that variable is set, as here); the action server keeps the real time, so a check-in
scheduled "in an hour" falls due once the file says 3,700 seconds.
"""

import random
import secrets
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests
import sqlalchemy as sa
import yaml

from channels.rendering import parse, plain
from tests.channels.clients import Assistant, buttons_of, credentials, text_of
from tests.channels.conftest import ROOT, serve, start_servers
from tests.channels.fakes import Call, FakeSlack, FakeTelegram
from tests.channels.test_telegram_e2e import as_buttons, html_of
from tests.e2e.conftest import RELAXED_LIMITS
from tests.servers import free_port

pytestmark = pytest.mark.e2e

QUESTION = "Earlier you paused before acting on"


class Servers:
    """The assistant with a test clock; can be stopped and started again."""

    def __init__(self, tmp: Path, telegram: FakeTelegram, slack: FakeSlack) -> None:
        self.tmp = tmp
        self.clock = tmp / "clock"
        self.clock.write_text("0")
        self.credentials = tmp / "credentials.yml"
        channels = credentials(telegram, slack)
        # A shared channel is configured too: a check-in must still go to the person's DM.
        channels["channels.slack.SlackInput"]["slack_channel"] = "CSHARED"
        self.credentials.write_text(yaml.safe_dump(channels))
        self.db = tmp / "var" / "reflections.db"
        self.overrides = {
            "PAUSE_VAR_DIR": str(tmp / "var"),
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
            "WEB_PORT": str(free_port()),
            "REFLECTIONS_DB_URL": f"sqlite:///{self.db}",
            "RASA_API_TOKEN": secrets.token_urlsafe(24),
            "PAUSE_TEST_CLOCK_FILE": str(self.clock),
            "CHECKIN_POLL_SECONDS": "0.5",
            "CHECKIN_QUIET_HOURS": "off",
            "CHECKIN_TIMEZONE": "UTC",
            "CHECKIN_CHANNELS": "telegram,slack,rest",
            "CHECKIN_LEASE_SECONDS": "7200",  # longer than the clock moves: leases hold
            **RELAXED_LIMITS,
        }
        self.log_dir = ROOT / "artifacts" / "logs" / "checkins"
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.running: Any = None
        self.client = Assistant(
            f"http://127.0.0.1:{self.overrides['RASA_PORT']}",
            telegram,
            slack,
            self.overrides["RASA_API_TOKEN"],
        )

    def start(self) -> None:
        self.running = start_servers(self.overrides, self.credentials, self.log_dir)

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None

    def extra_scheduler(self) -> subprocess.Popen:
        """A second scheduler process on the same store (another replica)."""
        settings = self.running.settings
        log = open(self.log_dir / "scheduler-2.log", "a")
        self.running.logs.append(log)
        process = subprocess.Popen(
            [str(serve.BIN / "python"), "-m", "scheduler"],
            cwd=ROOT,
            env=serve.server_environment(settings, self.overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.processes.append(process)
        return process

    def say_rest(self, sender: str, text: str) -> List[Dict[str, Any]]:
        answer = requests.post(
            f"{self.client.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=self.client.auth,
            timeout=120,
        )
        assert answer.status_code == 200
        return list(answer.json())

    def statuses(self) -> List[str]:
        engine = sa.create_engine(f"sqlite:///{self.db}")
        try:
            with engine.connect() as conn:
                return list(conn.execute(sa.text("SELECT status FROM checkins")).scalars())
        finally:
            engine.dispose()


@pytest.fixture(scope="module")
def servers(
    tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeTelegram, slack_api: FakeSlack
) -> Iterator[Servers]:
    if not (ROOT / "models" / "pause.tar.gz").exists():
        pytest.skip("no trained model (make train)")
    running = Servers(tmp_path_factory.mktemp("checkins"), telegram_api, slack_api)
    running.start()
    try:
        yield running
    finally:
        running.stop()


def user() -> int:
    return random.randint(10**8, 10**9)


def save_an_exercise(servers: Servers, me: int, responses: Dict[str, Any]) -> List[Call]:
    """Do the exercise with a one-hour wait; return the last replies (the offer)."""
    bot = servers.client
    servers.clock.write_text("0")
    replies = bot.say_telegram(me, "start the exercise")
    assert replies[-1].params["text"] == html_of(responses, "utter_ask_pause_noticed")
    for typed in ("feeling smothered", "she asked me to meet her parents", "a tight chest"):
        replies = bot.say_telegram(me, typed)
    replies = bot.say_telegram(me, "I need space")
    replies = bot.tap_telegram(me, replies[-1], '/affirm{"choice": "protection"}')
    assert replies[-1].params["text"] == html_of(responses, "utter_ask_pause_wait")
    replies = bot.tap_telegram(me, replies[-1], '/affirm{"choice": "an hour"}')
    replies = bot.tap_telegram(me, replies[-1], "/skip_step")
    assert replies[-2].params["text"] == html_of(responses, "utter_reflection_saved")
    offer = replies[-1]
    assert "check in when the wait is up" in offer.params["text"]
    assert as_buttons(offer) == buttons_of(responses, "utter_checkin_offer")
    replies = bot.tap_telegram(me, offer, '/schedule_checkin{"choice": "wait"}')
    [confirmed] = replies
    assert confirmed.params["text"].startswith("Okay. I'll check in on ")
    assert as_buttons(confirmed) == buttons_of(responses, "utter_checkin_scheduled")
    return replies


def questions(servers: Servers, me: int, mark: int) -> List[Call]:
    return [c for c in servers.client.telegram.messages(me, mark) if QUESTION in c.params["text"]]


def wait_for_question(servers: Servers, me: int, mark: int, timeout: float = 60) -> Call:
    servers.client.telegram.wait(lambda: bool(questions(servers, me, mark)), timeout)
    time.sleep(3)  # six more scheduler ticks: nothing else may arrive
    [question] = questions(servers, me, mark)
    return question


def test_a_checkin_arrives_when_due_and_the_answer_is_on_the_map(
    servers: Servers, responses: Dict[str, Any]
) -> None:
    me = user()
    save_an_exercise(servers, me, responses)
    mark = servers.client.telegram.mark()
    time.sleep(2)  # four ticks: not due yet
    assert questions(servers, me, mark) == []
    servers.clock.write_text("3700")
    question = wait_for_question(servers, me, mark)
    assert question.params["text"] == f"{QUESTION} <i>feeling smothered</i>. How did it go?"
    assert as_buttons(question) == buttons_of(responses, "utter_ask_checkin_outcome")
    [answer] = servers.client.tap_telegram(me, question, '/affirm{"choice": "passed"}')
    assert answer.params["text"] == html_of(responses, "utter_checkin_passed")
    [summary, _] = servers.client.say_telegram(me, "my map")
    assert "<b>After the pause:</b> passed 1 of 1, longest wait held" in summary.params["text"]


def test_a_checkin_due_while_the_servers_were_down_arrives_once(
    servers: Servers, responses: Dict[str, Any]
) -> None:
    me = user()
    save_an_exercise(servers, me, responses)
    servers.stop()
    servers.clock.write_text("3700")  # it falls due while nothing runs
    mark = servers.client.telegram.mark()
    servers.start()
    question = wait_for_question(servers, me, mark)
    assert "<i>feeling smothered</i>" in question.params["text"]


def test_two_schedulers_send_it_exactly_once(
    servers: Servers, responses: Dict[str, Any]
) -> None:
    me = user()
    save_an_exercise(servers, me, responses)
    servers.extra_scheduler()
    time.sleep(2)  # both are running
    mark = servers.client.telegram.mark()
    servers.clock.write_text("3700")
    wait_for_question(servers, me, mark)
    assert "pending" not in servers.statuses() and "claimed" not in servers.statuses()


def test_on_rest_the_checkin_is_kept_for_the_next_message(
    servers: Servers, responses: Dict[str, Any]
) -> None:
    me = f"someone-{random.randint(10**6, 10**7)}"
    servers.clock.write_text("0")
    for text in (
        "start the exercise", "feeling smothered", "she asked me to meet her parents",
        "a tight chest", "I need space", "protection", "an hour",
    ):
        servers.say_rest(me, text)
    offer = servers.say_rest(me, "skip")[-1]
    assert "check in when the wait is up" in offer["text"]
    [confirmed] = servers.say_rest(me, offer["buttons"][0]["payload"])
    assert confirmed["text"].startswith("Okay. I'll check in on ")
    before = servers.statuses()
    servers.clock.write_text("3700")
    deadline = time.monotonic() + 30
    while servers.statuses().count("held") <= before.count("held"):
        assert time.monotonic() < deadline, servers.statuses()
        time.sleep(0.2)
    replies = servers.say_rest(me, "thanks")
    assert replies[0]["text"] == responses["utter_thank"][0]["text"]  # the answer first
    assert replies[-1]["text"] == f"{QUESTION} *feeling smothered*. How did it go?"
    assert [b["title"] for b in replies[-1]["buttons"]] == ["It passed", "I acted on it",
                                                            "Let's talk about it"]
    [answer] = servers.say_rest(me, "I didn't text her, it passed")
    assert answer["text"] == responses["utter_checkin_passed"][0]["text"]
    assert all(QUESTION not in (r.get("text") or "") for r in servers.say_rest(me, "thanks"))


def test_on_slack_the_checkin_arrives_in_the_persons_own_dm(
    servers: Servers, responses: Dict[str, Any]
) -> None:
    number = random.randint(10**6, 10**7)
    me, dm = f"U{number}", f"D{number}"
    bot = servers.client
    servers.clock.write_text("0")
    bot.say_slack(me, dm, "start the exercise", expect=2)
    for typed in ("feeling smothered", "she asked me to meet her parents", "a tight chest"):
        bot.say_slack(me, dm, typed)
    replies = bot.say_slack(me, dm, "I need space")
    replies = bot.tap_slack(me, replies[-1], '/affirm{"choice": "protection"}')
    replies = bot.tap_slack(me, replies[-1], '/affirm{"choice": "an hour"}')
    replies = bot.tap_slack(me, replies[-1], "/skip_step", expect=2)
    offer = replies[-1]
    assert "check in when the wait is up" in offer.params["text"]
    [confirmed] = bot.tap_slack(me, offer, '/schedule_checkin{"choice": "wait"}')
    assert confirmed.params["text"].startswith("Okay. I'll check in on ")
    mark = bot.slack.mark()
    servers.clock.write_text("3700")

    def questions() -> List[Call]:
        return [c for c in bot.slack.since(mark, "chat.postMessage")
                if QUESTION in c.params["text"]]

    bot.slack.wait(lambda: bool(questions()), 60)
    time.sleep(3)  # six more scheduler ticks: nothing else may arrive
    sent = questions()
    assert [c.params["channel"] for c in sent] == [me]  # the person's own DM, once
    [answer] = bot.tap_slack(me, sent[0], '/affirm{"choice": "passed"}')
    assert answer.params["text"] == plain(parse(text_of(responses, "utter_checkin_passed")))
