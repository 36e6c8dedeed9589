"""One cluster (scripts/cluster.py) for the module: nginx, two replicas, PostgreSQL, Redis."""

from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple

import pytest
import requests

from pause.domain import load_domain
from scripts.cluster import Cluster
from tests.e2e.conftest import RELAXED_LIMITS
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


class Client:
    """REST through nginx, with the replica that answered each message."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.auth = {"Authorization": f"Bearer {cluster.token}"}

    def post(self, sender: str, text: str) -> requests.Response:
        return requests.post(
            f"{self.cluster.url}/webhooks/rest/webhook",
            json={"sender": sender, "message": text},
            headers=self.auth,
            timeout=120,
        )

    def say(self, sender: str, text: str) -> Tuple[List[Dict[str, Any]], str]:
        """The bot's messages, and the last replica nginx tried (``host:port``)."""
        response = self.post(sender, text)
        assert response.status_code == 200, response.text
        return response.json(), response.headers["X-Upstream"].split(",")[-1].strip()

    def events(self, sender: str) -> List[Dict[str, Any]]:
        response = requests.get(
            f"{self.cluster.url}/conversations/rest:{sender}/tracker",
            headers=self.auth,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return list(response.json()["events"])


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(
        directory=ROOT / "artifacts" / "cluster", port=free_port(), extra=dict(RELAXED_LIMITS)
    )
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(cluster: Cluster) -> Client:
    return Client(cluster)


@pytest.fixture(scope="session")
def responses() -> Dict[str, Any]:
    domain = load_domain(with_faq=True)["responses"]
    return domain
