"""All configuration read from the environment, in one place.

The action server, the channels, the web app, the scheduler and ``scripts/serve.py``
(which starts the Rasa server) all read their settings here, so a default is written
down exactly once.
"""

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VAR_DIR = PROJECT_ROOT / "var"

#: Each messaging channel's credentials.yml keys and the variables they come from when
#: credentials.yml gives none; the channel is on when its required variables are set.
CHANNEL_VARIABLES: Dict[str, Dict[str, str]] = {
    "telegram": {
        "access_token": "TELEGRAM_BOT_TOKEN",
        "verify": "TELEGRAM_BOT_USERNAME",
        "webhook_url": "TELEGRAM_WEBHOOK_URL",
        "secret_token": "TELEGRAM_SECRET_TOKEN",
        "api_base_url": "TELEGRAM_API_BASE_URL",
    },
    "slack": {
        "slack_token": "SLACK_BOT_TOKEN",
        "slack_signing_secret": "SLACK_SIGNING_SECRET",
        "slack_channel": "SLACK_CHANNEL",
        "api_base_url": "SLACK_API_BASE_URL",
    },
}
#: The variables of :data:`CHANNEL_VARIABLES` without which a channel stays off.
CHANNEL_REQUIRED: Dict[str, List[str]] = {
    "telegram": [
        "TELEGRAM_BOT_TOKEN",
        "TELEGRAM_BOT_USERNAME",
        "TELEGRAM_WEBHOOK_URL",
        "TELEGRAM_SECRET_TOKEN",
    ],
    "slack": ["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET"],
}


@dataclass(frozen=True)
class Settings:
    """Settings of the servers and the reflection store."""

    var_dir: Path
    rasa_host: str
    rasa_port: int
    action_port: int
    web_port: int
    reflections_db_url: str
    tracker_db_url: str
    redis_host: str
    redis_port: str
    redis_password: str
    redis_db: str
    max_answer_chars: int
    reflections_shown: int
    web_origin: str
    export_secret: str
    export_ttl_seconds: int
    api_token: str = ""
    gateway_secret: str = ""
    session_secret: str = ""
    data_keys: str = ""
    max_message_chars: int = 4000
    max_body_bytes: int = 16384
    rate_per_sender: int = 30
    rate_per_ip: int = 120
    rate_window_seconds: float = 60.0
    checkin_quiet_hours: str = "22:00-08:00"
    checkin_timezone: str = ""
    checkin_channels: str = "telegram,slack,socketio"
    checkin_poll_seconds: float = 10.0
    checkin_retry_seconds: float = 30.0
    checkin_max_attempts: int = 5
    checkin_lease_seconds: float = 120.0
    test_clock_file: str = ""
    socketio_message_queue: str = ""
    #: Rasa's ``SANIC_WORKERS``: server processes per Rasa server (more than one needs Redis).
    sanic_workers: int = 1
    #: The messaging channels' variables that are set, by channel (:data:`CHANNEL_VARIABLES`).
    channel_env: Mapping[str, Mapping[str, str]] = field(default_factory=dict, hash=False)

    def channel_credentials(self, channel: str) -> Dict[str, str]:
        """``channel``'s credentials.yml keys with a value from the environment."""
        env = self.channel_env.get(channel, {})
        keys = CHANNEL_VARIABLES.get(channel, {})
        return {key: env[name] for key, name in keys.items() if env.get(name)}

    def missing_channel_variables(self, channel: str) -> List[str]:
        """The variables ``channel`` needs that are unset (none: the channel is on)."""
        env = self.channel_env.get(channel, {})
        return [name for name in CHANNEL_REQUIRED.get(channel, []) if not env.get(name)]

    @property
    def checkin_channel_names(self) -> frozenset:
        """Channels that can deliver a check-in on their own (``CHECKIN_CHANNELS``)."""
        return frozenset(c.strip() for c in self.checkin_channels.split(",") if c.strip())

    @property
    def api_token_file(self) -> Path:
        """Where the API token is kept when ``RASA_API_TOKEN`` is unset (mode 0600)."""
        return self.var_dir / "api_token"

    @property
    def session_secret_file(self) -> Path:
        """Where the web sessions' signing key is kept when ``SESSION_SECRET`` is unset."""
        return self.var_dir / "session_secret"

    @property
    def data_key_file(self) -> Path:
        """Where the encryption key is kept when ``PAUSE_DATA_KEYS`` is unset (mode 0600)."""
        return self.var_dir / "data.key"

    @property
    def action_server_url(self) -> str:
        """URL of the action server's webhook."""
        return f"http://{self.rasa_host}:{self.action_port}/webhook"

    @property
    def rasa_url(self) -> str:
        """Base URL of the Rasa server."""
        return f"http://{self.rasa_host}:{self.rasa_port}"



def _get(env: Mapping[str, str], name: str, default: str) -> str:
    value = env.get(name)
    return value if value else default


def load_settings(env: Optional[Mapping[str, str]] = None) -> Settings:
    """Read the settings from ``env`` (the process environment by default).

    Args:
        env: Mapping to read instead of ``os.environ`` (used by tests).

    Returns:
        The settings, with a default for every variable that is not set.

    """
    env = os.environ if env is None else env
    var_dir = Path(_get(env, "PAUSE_VAR_DIR", str(DEFAULT_VAR_DIR)))
    return Settings(
        var_dir=var_dir,
        rasa_host=_get(env, "RASA_HOST", "127.0.0.1"),
        rasa_port=int(_get(env, "RASA_PORT", "5005")),
        action_port=int(_get(env, "ACTION_PORT", "5055")),
        web_port=int(_get(env, "WEB_PORT", "8080")),
        reflections_db_url=_get(
            env, "REFLECTIONS_DB_URL", f"sqlite:///{var_dir / 'reflections.db'}"
        ),
        tracker_db_url=_get(env, "TRACKER_DB_URL", f"sqlite:///{var_dir / 'tracker.db'}"),
        redis_host=_get(env, "REDIS_HOST", ""),
        redis_port=_get(env, "REDIS_PORT", "6379"),
        redis_password=_get(env, "REDIS_PASSWORD", ""),
        redis_db=_get(env, "REDIS_DB", "1"),
        max_answer_chars=int(_get(env, "MAX_ANSWER_CHARS", "2000")),
        reflections_shown=int(_get(env, "REFLECTIONS_SHOWN", "5")),
        web_origin=_get(env, "WEB_ORIGIN", ""),
        export_secret=_get(env, "EXPORT_SECRET", ""),
        export_ttl_seconds=int(_get(env, "EXPORT_TTL_SECONDS", "900")),
        api_token=_get(env, "RASA_API_TOKEN", ""),
        gateway_secret=_get(env, "PLAINTEXT_GATEWAY_SECRET", ""),
        session_secret=_get(env, "SESSION_SECRET", ""),
        data_keys=_get(env, "PAUSE_DATA_KEYS", ""),
        max_message_chars=int(_get(env, "MAX_MESSAGE_CHARS", "4000")),
        max_body_bytes=int(_get(env, "MAX_BODY_BYTES", "16384")),
        rate_per_sender=int(_get(env, "RATE_LIMIT_PER_SENDER", "30")),
        rate_per_ip=int(_get(env, "RATE_LIMIT_PER_IP", "120")),
        rate_window_seconds=float(_get(env, "RATE_LIMIT_WINDOW_SECONDS", "60")),
        checkin_quiet_hours=env.get("CHECKIN_QUIET_HOURS", "22:00-08:00"),
        checkin_timezone=_get(env, "CHECKIN_TIMEZONE", ""),
        checkin_channels=env.get("CHECKIN_CHANNELS", "telegram,slack,socketio"),
        checkin_poll_seconds=float(_get(env, "CHECKIN_POLL_SECONDS", "10")),
        checkin_retry_seconds=float(_get(env, "CHECKIN_RETRY_SECONDS", "30")),
        checkin_max_attempts=int(_get(env, "CHECKIN_MAX_ATTEMPTS", "5")),
        checkin_lease_seconds=float(_get(env, "CHECKIN_LEASE_SECONDS", "120")),
        # Tests only: a file holding seconds to add to the scheduler's clock.
        test_clock_file=_get(env, "PAUSE_TEST_CLOCK_FILE", ""),
        socketio_message_queue=_get(env, "SOCKETIO_MESSAGE_QUEUE", ""),
        sanic_workers=int(_get(env, "SANIC_WORKERS", "1")),
        channel_env={
            channel: {name: env[name] for name in names.values() if env.get(name)}
            for channel, names in CHANNEL_VARIABLES.items()
        },
    )
