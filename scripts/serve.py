"""Start, watch and stop the assistant's servers (used by `make run`, `make shell` and tests).

    python -m scripts.serve run     # action server + Rasa server (REST, socket.io, HTTP API)
    python -m scripts.serve shell   # action server + chat in this terminal

Every setting comes from pause/settings.py (environment variables with defaults).
Ctrl-C stops every process it started.
"""

import argparse
import os
import re
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, TextIO, Tuple

import yaml

from pause.keys import api_token
from pause.links import web_base_url
from pause.settings import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent

MODEL = ROOT / "models" / "pause.tar.gz"
BIN = Path(sys.executable).parent


def server_environment(
    settings: Settings, overrides: Optional[Mapping[str, str]] = None
) -> Dict[str, str]:
    """Environment for the child processes: ours, plus endpoints.yml's variables."""
    env = {**os.environ, **(overrides or {})}
    env.update(settings.rasa_environment())
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


_ENV_REF = re.compile(r"\$\{([A-Z0-9_]+)\}")
_OPTIONAL_REF = re.compile(r"^\$\{([A-Z0-9_]+):-\}$")


def _live_section(section: Any, env: Mapping[str, str]) -> Tuple[Any, List[str]]:
    """Resolve one channel's settings: drop unset optional keys, list missing ones.

    A value ``${VAR}`` is required; ``${VAR:-}`` is optional (the key is left out
    when VAR is unset). Values stay ``${VAR}`` references for Rasa to expand, so
    no secret is written to disk.
    """
    if not isinstance(section, dict):
        return section, []
    kept: Dict[str, Any] = {}
    for key, value in section.items():
        optional = _OPTIONAL_REF.match(str(value)) if isinstance(value, str) else None
        if optional:
            if env.get(optional.group(1)):
                kept[key] = "${" + optional.group(1) + "}"
            continue
        kept[key] = value
    missing = sorted({v for v in _ENV_REF.findall(yaml.safe_dump(kept)) if not env.get(v)})
    return kept, missing


def live_credentials(
    settings: Settings, env: Mapping[str, str]
) -> Tuple[Path, List[str], Dict[str, List[str]]]:
    """Write the credentials of the channels whose required variables are all set.

    credentials.yml lists every channel; a channel that needs an unset variable is
    switched off rather than failing Rasa's start-up.

    Returns:
        The file written (under the var folder), the live channels, and for each
        channel that is off, the variables it is missing.
    """
    sections = yaml.safe_load((ROOT / "credentials.yml").read_text()) or {}
    live: Dict[str, Any] = {}
    off: Dict[str, List[str]] = {}
    for name, section in sections.items():
        resolved, missing = _live_section(section, env)
        if missing:
            off[name] = missing
        else:
            live[name] = resolved
    path = settings.var_dir / "credentials.live.yml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(live, sort_keys=False))
    return path, list(live), off


def channel_name(section: str) -> str:
    """Short name of a credentials section ("channels.telegram.X" -> "telegram")."""
    parts = section.split(".")
    return parts[1] if len(parts) > 2 else section


def rasa_command(settings: Settings, credentials: Path, model: Path = MODEL) -> List[str]:
    """The command line of the Rasa server."""
    command = [
        str(BIN / "rasa"),
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(ROOT / "endpoints.yml"),
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
        credentials: Use this credentials file as it is, instead of the channels of
            credentials.yml whose variables are set (tests use it).
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
        credentials, live, off = live_credentials(settings, env)
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
                str(ROOT / "endpoints.yml"),
                "--credentials",
                str(live_credentials(settings, env)[0]),
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
