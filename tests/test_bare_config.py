"""endpoints.yml and credentials.yml need no variables: the classes hold the defaults."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa.core.lock_store import InMemoryLockStore, LockStore
from rasa.shared.utils.io import read_config_file
from rasa.utils.endpoints import read_endpoint_config

from channels.slack import SlackInput
from channels.telegram import TelegramInput
from stores.lock_store import ConfiguredLockStore, SerialRedisLockStore
from stores.tracker_store import ForgettingSQLTrackerStore

ROOT = Path(__file__).resolve().parent.parent
CHANNEL_VARIABLES = (
    "TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_URL",
    "TELEGRAM_SECRET_TOKEN", "TELEGRAM_API_BASE_URL", "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET", "SLACK_CHANNEL", "SLACK_API_BASE_URL", "REDIS_HOST",
    "TRACKER_DB_URL",
)


@pytest.fixture(autouse=True)
def no_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CHANNEL_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize("name", ["endpoints.yml", "credentials.yml"])
def test_the_files_name_no_variable(name: str) -> None:
    text = (ROOT / name).read_text()
    assert "${" not in text
    read_config_file(str(ROOT / name))  # Rasa's reader: would fail on an unset variable


def test_endpoints_defaults() -> None:
    action = read_endpoint_config(str(ROOT / "endpoints.yml"), "action_endpoint")
    assert action is not None and action.url == "http://127.0.0.1:5055/webhook"
    lock = read_endpoint_config(str(ROOT / "endpoints.yml"), "lock_store")
    assert isinstance(LockStore.create(lock), InMemoryLockStore)


def test_lock_store_is_redis_when_redis_host_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    monkeypatch.setenv("REDIS_PORT", "6390")
    store: Any = ConfiguredLockStore()
    assert isinstance(store, SerialRedisLockStore)  # no connection until a ticket is asked
    assert store.red.connection_pool.connection_kwargs["port"] == 6390


def test_tracker_store_defaults_to_the_var_folder(private_var_dir: Path) -> None:
    store = ForgettingSQLTrackerStore()
    assert store.engine.url.database == str(private_var_dir / "tracker.db")
    assert (private_var_dir).is_dir()


def test_tracker_store_reads_tracker_db_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRACKER_DB_URL", f"sqlite:///{tmp_path / 'elsewhere' / 't.db'}")
    store = ForgettingSQLTrackerStore()
    assert store.engine.url.database == str(tmp_path / "elsewhere" / "t.db")


def _routes(channel: Any) -> Any:
    async def handler(message: Any) -> None:
        return None

    return channel.blueprint(handler)._future_routes


def test_channels_without_variables_are_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO")
    sections = yaml.safe_load((ROOT / "credentials.yml").read_text())
    telegram = TelegramInput.from_credentials(sections["channels.telegram.TelegramInput"])
    slack = SlackInput.from_credentials(sections["channels.slack.SlackInput"])
    assert not _routes(telegram) and not _routes(slack)
    assert telegram.get_output_channel() is None and slack.get_output_channel() is None
    off = [r.getMessage() for r in caplog.records if " is off: " in r.getMessage()]
    assert off == [
        "telegram is off: set TELEGRAM_BOT_TOKEN, TELEGRAM_BOT_USERNAME, TELEGRAM_WEBHOOK_URL, "
        "TELEGRAM_SECRET_TOKEN to switch it on.",
        "slack is off: set SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET to switch it on.",
    ]


def test_channels_read_their_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "TELEGRAM_BOT_TOKEN": "1:abc", "TELEGRAM_BOT_USERNAME": "pause_bot",
        "TELEGRAM_WEBHOOK_URL": "https://x.example/webhooks/telegram/webhook",
        "TELEGRAM_SECRET_TOKEN": "s3cret", "SLACK_BOT_TOKEN": "xoxb-1",
        "SLACK_SIGNING_SECRET": "sign", "SLACK_API_BASE_URL": "http://127.0.0.1:1/api/",
    }.items():
        monkeypatch.setenv(name, value)
    telegram: Any = TelegramInput.from_credentials(None)
    slack: Any = SlackInput.from_credentials(None)
    assert (telegram.access_token, telegram.verify, telegram.secret_token) == (
        "1:abc", "pause_bot", "s3cret"
    )
    assert telegram.webhook_url == "https://x.example/webhooks/telegram/webhook"
    assert (slack.slack_token, slack.slack_signing_secret) == ("xoxb-1", "sign")
    assert slack.api_base_url == "http://127.0.0.1:1/api/"
    assert _routes(telegram) and _routes(slack)


def test_a_partly_set_channel_still_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")  # the section gives a key: checked
    from rasa.shared.exceptions import InvalidConfigException

    with pytest.raises(InvalidConfigException):
        TelegramInput.from_credentials({"verify": "pause_bot"})


def test_serve_reports_the_channels_and_points_rasa_at_its_action_port(
    private_var_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pause.settings import load_settings
    from scripts import serve

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    monkeypatch.setenv("SLACK_SIGNING_SECRET", "sign")
    monkeypatch.setenv("ACTION_PORT", "5999")
    settings = load_settings()
    live, off = serve.channel_report(settings)
    assert [serve.channel_name(c) for c in live] == ["rest", "socketio", "slack", "plaintext"]
    assert off == {
        "channels.telegram.TelegramInput": [
            "TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_URL",
            "TELEGRAM_SECRET_TOKEN",
        ]
    }
    path = serve.live_endpoints(settings)
    endpoints = yaml.safe_load(path.read_text())
    assert endpoints["action_endpoint"] == {"url": "http://127.0.0.1:5999/webhook"}
    assert endpoints["tracker_store"] == yaml.safe_load((ROOT / "endpoints.yml").read_text())[
        "tracker_store"
    ]
    assert path.parent == private_var_dir
