"""Fixtures: the fake platform APIs, and the assistant started with credentials enabling them."""

import inspect
import secrets
import subprocess
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
import yaml

from pause.domain import load_domain
from scripts import serve
from tests.channels.clients import Assistant, credentials
from tests.channels.fakes import FakeSlack, FakeTelegram
from tests.e2e.conftest import RELAXED_LIMITS
from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def telegram_api() -> Iterator[FakeTelegram]:
    fake = FakeTelegram().start()
    yield fake
    fake.stop()


@pytest.fixture(scope="session")
def slack_api() -> Iterator[FakeSlack]:
    fake = FakeSlack().start()
    yield fake
    fake.stop()


def start_servers(overrides: Dict[str, str], path: Path, log_dir: Path) -> Any:
    """serve.start with a credentials file; starts `rasa run` here while serve.py can't."""
    if "credentials" in inspect.signature(serve.start).parameters:
        return serve.start(overrides, log_dir=log_dir, credentials=path)  # type: ignore
    servers = serve.start(overrides, log_dir=log_dir, rasa=False)
    try:
        settings = servers.settings
        if "credentials" in inspect.signature(serve.rasa_command).parameters:
            command = serve.rasa_command(settings, path)  # type: ignore[call-arg]
        else:
            command = serve.rasa_command(settings)  # type: ignore[call-arg]
            command[command.index("--credentials") + 1] = str(path)
        log = open(log_dir / "rasa.log", "a")
        servers.logs.append(log)
        process = subprocess.Popen(
            command,
            cwd=serve.ROOT,
            env=serve.server_environment(settings, overrides),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        servers.processes.append(process)
        serve.wait_for(f"{settings.rasa_url}/", 240, process)
    except BaseException:
        servers.stop()
        raise
    return servers


@pytest.fixture(scope="session")
def assistant(
    tmp_path_factory: pytest.TempPathFactory, telegram_api: FakeTelegram, slack_api: FakeSlack
) -> Iterator[Assistant]:
    model = ROOT / "models" / "pause.tar.gz"
    if not model.exists():
        pytest.skip("no trained model (make train)")
    tmp = tmp_path_factory.mktemp("channels")
    path = tmp / "credentials.yml"
    path.write_text(yaml.safe_dump(credentials(telegram_api, slack_api)))
    overrides = {
        "PAUSE_VAR_DIR": str(tmp / "var"),
        "RASA_PORT": str(free_port()),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        "REFLECTIONS_DB_URL": f"sqlite:///{tmp / 'var' / 'reflections.db'}",
        "RASA_API_TOKEN": secrets.token_urlsafe(24),
        **RELAXED_LIMITS,
    }
    log_dir = ROOT / "artifacts" / "logs" / "channels"
    log_dir.mkdir(parents=True, exist_ok=True)
    servers = start_servers(overrides, path, log_dir)
    try:
        yield Assistant(
            f"http://127.0.0.1:{overrides['RASA_PORT']}",
            telegram_api,
            slack_api,
            overrides["RASA_API_TOKEN"],
        )
    finally:
        servers.stop()


@pytest.fixture(scope="session")
def responses() -> Dict[str, Any]:
    domain = load_domain(with_faq=True)["responses"]
    return domain
