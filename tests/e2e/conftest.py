"""Servers for end-to-end tests: the action server and the Rasa server on free ports."""

import secrets
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests

from pause.domain import load_domain
from scripts import serve
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


class Assistant:
    """The running servers, and a small REST client for them."""

    def __init__(self, overrides: Dict[str, str], log_dir: Path) -> None:
        self.overrides = overrides
        self.log_dir = log_dir
        self.servers: Any = None
        self.url = f"http://127.0.0.1:{overrides['RASA_PORT']}"
        self.auth = {"Authorization": f"Bearer {overrides['RASA_API_TOKEN']}"}

    def start(self) -> "Assistant":
        self.servers = serve.start(self.overrides, log_dir=self.log_dir)
        return self

    def stop(self) -> None:
        if self.servers is not None:
            self.servers.stop()
            self.servers = None

    def say(self, sender: str, message: str) -> List[Dict[str, Any]]:
        response = requests.post(
            f"{self.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": message},
            headers=self.auth,
            timeout=60,
        )
        response.raise_for_status()
        return response.json()

    def parse(self, text: str) -> Dict[str, Any]:
        response = requests.post(
            f"{self.url}/model/parse", json={"text": text}, headers=self.auth, timeout=60
        )
        response.raise_for_status()
        return response.json()

    def tracker(self, conversation: str) -> Dict[str, Any]:
        """The tracker of a stored conversation id (``rest:<sender>`` for :meth:`say`)."""
        response = requests.get(
            f"{self.url}/conversations/{conversation}/tracker", headers=self.auth, timeout=60
        )
        response.raise_for_status()
        return response.json()


#: The suites here talk fast from one address; tests/e2e/test_attacks.py tests the limits.
RELAXED_LIMITS = {"RATE_LIMIT_PER_SENDER": "100000", "RATE_LIMIT_PER_IP": "100000"}


def environment(tmp: Path, **extra: str) -> Dict[str, str]:
    return {
        "PAUSE_VAR_DIR": str(tmp / "var"),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "REFLECTIONS_DB_URL": f"sqlite:///{tmp / 'var' / 'reflections.db'}",
        "RASA_API_TOKEN": secrets.token_urlsafe(24),
        **RELAXED_LIMITS,
        **extra,
    }


@pytest.fixture(scope="session")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assistant]:
    tmp = tmp_path_factory.mktemp("e2e")
    running = Assistant(environment(tmp), ROOT / "artifacts" / "logs" / "e2e").start()
    yield running
    running.stop()


@pytest.fixture
def sender() -> str:
    return f"e2e-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def responses() -> Dict[str, Any]:
    domain = load_domain(with_faq=True)["responses"]
    return domain
