"""Start, watch and stop the assistant's servers (used by `make run`, `make shell` and tests).

    python -m scripts.serve run     # action server + Rasa server (REST, socket.io, HTTP API)
    python -m scripts.serve shell   # action server + chat in this terminal

Every setting comes from pause/settings.py (environment variables with defaults).
Ctrl-C stops every process it started.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Mapping, Optional, TextIO, Tuple

import yaml

from pause.keys import api_token
from pause.links import web_base_url
from pause.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent

MODEL = ROOT / "models" / "pause.tar.gz"
CREDENTIALS = ROOT / "credentials.yml"
BIN = Path(sys.executable).parent


def server_environment(
    settings: Settings, overrides: Optional[Mapping[str, str]] = None
) -> Dict[str, str]:
    """Environment for the child processes: ours, the overrides, and quiet defaults."""
    env = {**os.environ, **(overrides or {})}
    env.update(
        {
            "PYTHONPATH": str(ROOT),
            "SANIC_HOST": settings.rasa_host,  # the action server listens on loopback
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "RASA_TELEMETRY_ENABLED": "false",
            "PYTHONWARNINGS": "ignore",
        }
    )
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    return env


def live_endpoints(settings: Settings) -> Path:
    """endpoints.yml with the action server at ``ACTION_PORT``, written to the var folder.

    endpoints.yml itself names the default port (what bare ``rasa run`` uses); the stores
    read their own settings from the environment. One file per action port: replicas
    sharing a var folder (scripts/cluster.py) each keep their own.
    """
    endpoints = yaml.safe_load((ROOT / "endpoints.yml").read_text()) or {}
    endpoints["action_endpoint"] = {"url": settings.action_server_url}
    path = settings.var_dir / f"endpoints.{settings.action_port}.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(endpoints, sort_keys=False))
    return path


def channel_report(
    settings: Settings, credentials: Path = CREDENTIALS
) -> Tuple[List[str], Dict[str, List[str]]]:
    """Which channels of ``credentials`` are live, and the variables each other one misses.

    A messaging channel without keys in the file is on when its variables are set
    (channels/switch.py); every other channel is always on.
    """
    sections = yaml.safe_load(credentials.read_text()) or {}
    live: List[str] = []
    off: Dict[str, List[str]] = {}
    for name, section in sections.items():
        missing = settings.missing_channel_variables(channel_name(name))
        if missing and not section:
            off[name] = missing
        else:
            live.append(name)
    return live, off


def channel_name(section: str) -> str:
    """Short name of a credentials section ("channels.telegram.X" -> "telegram")."""
    parts = section.split(".")
    return parts[1] if len(parts) > 2 else section


def rasa_command(
    settings: Settings, credentials: Path = CREDENTIALS, model: Path = MODEL
) -> List[str]:
    """The command line of the Rasa server."""
    command = [
        str(BIN / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(live_endpoints(settings)),
        "--credentials",
        str(credentials),
        "--interface",
        settings.rasa_host,
        "--port",
        str(settings.rasa_port),
        "--enable-api",
    ]
    command += ["--cors", web_base_url(settings)]  # the page's origin only
    # No --auth-token: channels/guard.py checks RASA_API_TOKEN on the webhooks and the
    # whole API, as a Bearer header or Rasa's ?token= (Rasa's own check knows only the
    # latter, and would refuse a Bearer header).
    return command


def action_command(settings: Settings) -> List[str]:
    """The command line of the action server."""
    return [
        str(BIN / "python"),
        "-m",
        "rasa_sdk",
        "--actions",
        "actions",
        "--port",
        str(settings.action_port),
    ]


def wait_for(url: str, timeout: float, process: Optional[subprocess.Popen] = None) -> None:
    """Poll ``url`` until it answers 200, the process dies, or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(
                f"server exited with code {process.returncode} before {url} answered"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f} s")


@dataclass
class Servers:
    """The processes started by :func:`start`."""

    settings: Settings
    live_channels: List[str] = field(default_factory=list)
    off_channels: Dict[str, List[str]] = field(default_factory=dict)
    processes: List[subprocess.Popen] = field(default_factory=list)
    logs: List[TextIO] = field(default_factory=list)

    def stop(self, timeout: float = 20) -> None:
        """Stop every process (SIGTERM, then SIGKILL after ``timeout``)."""
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for process in self.processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in self.logs:
            log.close()
        self.processes.clear()


def start(
    overrides: Optional[Mapping[str, str]] = None,
    model: Path = MODEL,
    log_dir: Optional[Path] = None,
    rasa: bool = True,
    timeout: float = 240,
    credentials: Optional[Path] = None,
    web: bool = False,
) -> Servers:
    """Start the action server (and the Rasa server) and wait until they answer.

    Args:
        overrides: Variables that take precedence over the environment (tests use
            them for ports, folders and stores); passed on to the servers too.
        model: The trained model to serve.
        log_dir: Write each server's output to a file there instead of this terminal.
        rasa: Also start the Rasa server (``shell`` runs its own).
        timeout: Seconds to wait for the servers to answer.
        credentials: Use this credentials file instead of credentials.yml (tests use it;
            each of its channels counts as live).
        web: Also start the web page's app (webapp/) after the Rasa server.

    """
    overrides = dict(overrides or {})
    if not (overrides.get("EXPORT_SECRET") or os.environ.get("EXPORT_SECRET")):
        # Shared by the action server (signs export links) and the web app (checks them).
        overrides["EXPORT_SECRET"] = secrets.token_urlsafe(32)
    settings = load_settings({**os.environ, **overrides})
    if not settings.api_token:  # generated once into var/api_token (mode 0600)
        overrides["RASA_API_TOKEN"] = api_token(settings)
        settings = load_settings({**os.environ, **overrides})
    env = server_environment(settings, overrides)
    if credentials is None:
        credentials = CREDENTIALS
        live, off = channel_report(settings)
    else:
        live, off = list(yaml.safe_load(credentials.read_text()) or {}), {}
    servers = Servers(settings, live_channels=live, off_channels=off)
    commands: List[Tuple[str, List[str], Optional[str]]] = [
        (
            "actions",
            action_command(settings),
            f"http://{settings.rasa_host}:{settings.action_port}/health",
        )
    ]
    if rasa:
        commands.append(
            ("rasa", rasa_command(settings, credentials, model), f"{settings.rasa_url}/")
        )
    if rasa:  # delivers due check-ins through the Rasa server (scheduler/loop.py)
        commands.append(("scheduler", [str(BIN / "python"), "-m", "scheduler"], None))
    if rasa and web:
        commands.append(
            (
                "webapp",
                [str(BIN / "python"), "-m", "webapp"],
                f"http://{settings.rasa_host}:{settings.web_port}/health",
            )
        )
    try:
        waits = []
        for name, command, health in commands:
            output: Optional[TextIO] = None
            if log_dir is not None:
                log_dir.mkdir(parents=True, exist_ok=True)
                output = open(log_dir / f"{name}.log", "a")
                servers.logs.append(output)
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,
            )
            servers.processes.append(process)
            if health is not None:  # the scheduler has no health route
                waits.append((health, process))
            if name == "rasa":  # the web app waits for Rasa; the action server need not
                for url, started in waits:
                    wait_for(url, timeout, started)
                waits.clear()
        for url, started in waits:
            wait_for(url, timeout, started)
    except BaseException:
        servers.stop()
        raise
    return servers


def _print_welcome(servers: Servers) -> None:
    settings = servers.settings
    channels = ", ".join(channel_name(c) for c in servers.live_channels)
    off = "".join(
        f"\n    {channel_name(c)} is off: set {', '.join(v)}"
        for c, v in servers.off_channels.items()
    )
    token_source = (
        "(from RASA_API_TOKEN)"
        if os.environ.get("RASA_API_TOKEN")
        else f"(kept in {settings.api_token_file}, mode 0600; set RASA_API_TOKEN to choose one)"
    )
    print(f"\n  Web page: {web_base_url(settings)}/   (open it in a browser)")
    print(f"  Live channels: {channels}{off}")
    print(
        f"""
  Pause is running.
    REST webhook : {settings.rasa_url}/webhooks/rest/webhook   (API token)
    plain text   : {settings.rasa_url}/webhooks/plaintext/webhook   (API token)
    HTTP API     : {settings.rasa_url}/model/parse   (API token)
    socket.io    : {settings.rasa_url}/socket.io   (signed web sessions)
    actions      : http://{settings.rasa_host}:{settings.action_port}/webhook

  API token: {settings.api_token}
    {token_source}

  Try:
    curl -s -XPOST {settings.rasa_url}/webhooks/rest/webhook \\
      -H "Authorization: Bearer {settings.api_token}" \\
      -H 'Content-Type: application/json' \\
      -d '{{"sender": "me", "message": "why do I pull away after a great weekend?"}}'

  Press Ctrl-C to stop.
""",
        flush=True,
    )


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; see the module docstring."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("command", choices=["run", "shell"])
    args = parser.parse_args(argv)
    settings = load_settings()
    if not MODEL.exists():
        print(f"No model at {MODEL}: run `make train` first.", file=sys.stderr)
        return 1
    servers = start(rasa=args.command == "run", web=args.command == "run")

    def _stop(signum: int, frame: object) -> None:
        raise SystemExit(0)  # the finally clause below stops every server

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    try:
        if args.command == "shell":
            env = server_environment(settings)
            shell = [
                str(BIN / "rasa"),
                "shell",
                "--model",
                str(MODEL),
                "--endpoints",
                str(live_endpoints(settings)),
                "--credentials",
                str(CREDENTIALS),
            ]
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the shell handles Ctrl-C itself
            return subprocess.call(shell, cwd=ROOT, env=env)
        _print_welcome(servers)
        while True:
            for process in servers.processes:
                if process.poll() is not None:
                    print(
                        f"A server exited (code {process.returncode}); stopping.", file=sys.stderr
                    )
                    return 1
            time.sleep(0.5)
    finally:
        try:
            print("\nStopping...", flush=True)
        except OSError:  # the terminal is already gone (SIGHUP)
            pass
        servers.stop()


if __name__ == "__main__":
    sys.exit(main())
