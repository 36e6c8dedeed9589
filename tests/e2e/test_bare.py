"""The standard Rasa commands, bare: a fresh copy of the project, no variables, no flags.

What a Rasa engineer (or Rasa's deployment tooling) runs: ``rasa run actions`` and
``rasa run`` in the project directory, then a conversation over the REST webhook; and
``rasa data validate``. The environment holds only PATH (the virtualenv's bin first, as
when it is activated), HOME and PYTHONPATH, so every setting is the classes' default.
The servers use Rasa's default ports (5005 and 5055).
"""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
import requests

from scripts import serve

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
MODEL = ROOT / "models" / "pause.tar.gz"


def fresh_copy(tmp: Path) -> Path:
    """The project's files as a checkout has them (tracked and new, not ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout.split("\0")
    project = tmp / "pause"
    for name in filter(None, listed):
        source, copy = ROOT / name, project / name
        copy.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # domain.yml -> domain
            copy.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, copy)
    return project


def bare_environment(project: Path) -> Dict[str, str]:
    return {
        "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": os.environ.get("HOME", str(project)),
        "PYTHONPATH": str(project),
    }


def port_taken(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_copy(tmp_path_factory.mktemp("bare"))


@pytest.fixture(scope="module")
def bare_servers(project: Path) -> Iterator[Path]:
    if not MODEL.exists():
        pytest.skip("no trained model (make train)")
    taken = [port for port in (5005, 5055) if port_taken(port)]
    if taken:
        pytest.skip(f"Rasa's default ports are in use here: {taken}")
    (project / "models").mkdir()
    shutil.copy2(MODEL, project / "models" / MODEL.name)
    log_dir = ROOT / "artifacts" / "logs" / "bare"
    log_dir.mkdir(parents=True, exist_ok=True)
    env = bare_environment(project)
    processes: List[subprocess.Popen] = []
    logs: List[Any] = []
    try:
        for name, command, health in (
            ("actions", ["rasa", "run", "actions"], "http://127.0.0.1:5055/health"),
            ("rasa", ["rasa", "run"], "http://127.0.0.1:5005/"),
        ):
            log = open(log_dir / f"{name}.log", "w")
            logs.append(log)
            process = subprocess.Popen(
                command, cwd=project, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            processes.append(process)
            serve.wait_for(health, 300, process)
        yield project
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()
        for log in logs:
            log.close()


def say(token: str, sender: str, message: str) -> requests.Response:
    return requests.post(
        "http://127.0.0.1:5005/webhooks/rest/webhook",
        json={"sender": sender, "message": message},
        headers={"Authorization": f"Bearer {token}"},
        timeout=120,
    )


def test_bare_rasa_run_holds_a_conversation_over_rest(
    bare_servers: Path, responses: Dict[str, Any]
) -> None:
    token = (bare_servers / "var" / "api_token").read_text().strip()  # generated at start
    assert say("wrong", "bare", "hi").status_code == 401  # guarded without any variable
    greeting = say(token, "bare", "hi")
    assert greeting.status_code == 200
    assert greeting.json()[0]["text"] == responses["utter_greet"][0]["text"]
    # answered by a custom action: the action server at endpoints.yml's default URL
    answer = say(token, "bare", "why do I pull away after a great weekend?").json()
    assert answer[0]["text"] == responses["utter_faq/why_pull_away_when_good"][0]["text"]
    assert "Try the pause exercise" in [b["title"] for b in answer[0]["buttons"]]
    # kept in the default tracker store, the SQLite file of the copy's var folder
    assert (bare_servers / "var" / "tracker.db").stat().st_size > 0
    log = (ROOT / "artifacts" / "logs" / "bare" / "rasa.log").read_text()
    assert "telegram is off: set TELEGRAM_BOT_TOKEN" in log
    assert "slack is off: set SLACK_BOT_TOKEN" in log


def test_bare_rasa_data_validate(project: Path) -> None:
    result = subprocess.run(
        ["rasa", "data", "validate"], cwd=project, env=bare_environment(project),
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
