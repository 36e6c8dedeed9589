"""The bots that benchmarks/load.py loads: started, measured and stopped, and how to talk to them.

``ProjectBot`` starts this project as `make run` does (scripts/serve.py) on free ports;
``CheckoutBot`` another checkout of it; ``ClusterBot`` scripts/cluster.py's nginx and
replicas; ``StockBot`` a stock `rasa init` bot (trained once, cached in var/stock/). ``send``
posts one REST message; ``wait_first_answer`` times a start; ``memory`` reads the resident
memory of a bot's processes from /proc.
"""

import asyncio
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple

import aiohttp

from scripts import serve
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent
STOCK_DIR = ROOT / "var" / "stock"
BENCH_LIMITS = {"RATE_LIMIT_PER_SENDER": "100000", "RATE_LIMIT_PER_IP": "100000"}


async def send(
    http: aiohttp.ClientSession, url: str, token: str, sender: str, text: str
) -> List[Dict[str, Any]]:
    """Send one REST message and return the bot's messages (raises on any HTTP error)."""
    async with http.post(
        f"{url}/webhooks/rest/webhook",
        json={"sender": sender, "message": text},
        headers={"Authorization": f"Bearer {token}"},
    ) as response:
        body = await response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        replies = json.loads(body)
        if not isinstance(replies, list):
            raise RuntimeError("reply is not a list")
        return replies




def process_tree(pid: int) -> List[int]:
    """``pid`` and all its descendants (from /proc)."""
    children: Dict[int, List[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_mb(pid: int) -> float:
    """Resident memory of one process, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def memory(named: Dict[str, int]) -> Dict[str, float]:
    """RSS of each named process and its descendants (each process counted once).

    A server of several processes (``SANIC_WORKERS``) also gets its largest process, as
    ``<name> largest``: the targets are per process.
    """
    figures = {}
    for name, pid in named.items():
        sizes = [rss_mb(p) for p in process_tree(pid)]
        figures[name] = sum(sizes)
        if len(sizes) > 1:
            figures[f"{name} largest"] = max(sizes)
    return figures


def wait_first_answer(url: str, token: str, started: float, timeout: float = 300) -> float:
    """Seconds from ``started`` until the webhook answers a first message."""

    async def first() -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
            while True:
                try:
                    await send(http, url, token, "ready-probe", "hi")
                    return
                except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError):
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)

    asyncio.run(first())
    return time.perf_counter() - started


# --- the two bots ----------------------------------------------------------------------


class Bot:
    """A started bot: its URL, token, server processes, and how to stop it."""

    name = ""
    url = ""
    token = ""
    ready = 0.0

    def processes(self) -> Dict[str, int]:
        """The pid of each server process, by name."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop every server process."""
        raise NotImplementedError


def project_settings(
    var_dir: str, token: str, extra: Optional[Dict[str, str]]
) -> Tuple[Dict[str, str], str]:
    """The variables a project bot is started with (free ports, its own var folder), and its URL."""
    port = free_port()
    overrides = {
        "PAUSE_VAR_DIR": var_dir,
        "RASA_API_TOKEN": token,
        "RASA_PORT": str(port),
        "ACTION_PORT": str(free_port()),
        "WEB_PORT": str(free_port()),
        **BENCH_LIMITS,
        **(extra or {}),
    }
    return overrides, f"http://127.0.0.1:{port}"


class ProjectBot(Bot):
    """This project, started as `make run` starts it (scripts/serve.py), on free ports."""

    name = "pause"

    def __init__(self, extra: Optional[Dict[str, str]] = None) -> None:
        self.tmp = tempfile.mkdtemp(prefix="pause-load-")
        self.token = secrets.token_urlsafe(24)
        overrides, self.url = project_settings(self.tmp, self.token, extra)
        started = time.perf_counter()
        self.servers = serve.start(overrides, log_dir=Path(self.tmp) / "logs")
        self.ready = wait_first_answer(self.url, self.token, started)

    def processes(self) -> Dict[str, int]:  # noqa: D102
        names = ("actions", "rasa")
        return {n: p.pid for n, p in zip(names, self.servers.processes, strict=False)}

    def stop(self) -> None:  # noqa: D102
        self.servers.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


class CheckoutBot(Bot):
    """The project of another checkout (``--base``), started by its own scripts/serve.py.

    It runs in a child process (its modules are not this checkout's) on that checkout's own
    model (this checkout's when it has none), with the same kind of settings as
    :class:`ProjectBot`.
    """

    name = "base"

    def __init__(self, root: Path, extra: Optional[Dict[str, str]] = None) -> None:
        self.tmp = tempfile.mkdtemp(prefix="pause-load-base-")
        self.token = secrets.token_urlsafe(24)
        overrides, self.url = project_settings(self.tmp, self.token, extra)
        code = (
            "import json, sys\n"
            "from pathlib import Path\n"
            "from scripts import serve\n"
            "s = serve.start(json.loads(sys.argv[1]), model=Path(sys.argv[2]),"
            " log_dir=Path(sys.argv[3]))\n"
            "print(json.dumps([p.pid for p in s.processes]), flush=True)\n"
            "sys.stdin.read()\n"
            "s.stop()\n"
        )
        own = root / "models" / serve.MODEL.name
        model = own if own.exists() else serve.MODEL
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [sys.executable, "-c", code, json.dumps(overrides), str(model),
             str(Path(self.tmp) / "logs")],
            cwd=root,
            env={**os.environ, "PYTHONPATH": str(root)},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the project in {root} did not start")
        self.pids = json.loads(line)
        self.ready = wait_first_answer(self.url, self.token, started)

    def processes(self) -> Dict[str, int]:  # noqa: D102
        return dict(zip(("actions", "rasa"), self.pids, strict=False))

    def stop(self) -> None:  # noqa: D102
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


class ClusterBot(Bot):
    """scripts/cluster.py with ``replicas`` Rasa/action pairs, loaded through nginx."""

    def __init__(self, replicas: int) -> None:
        from scripts.cluster import Cluster  # scripts/cluster.py

        self.name = f"cluster{replicas}"
        self.cluster = Cluster(
            directory=ROOT / "var" / f"bench-cluster-{replicas}",
            port=free_port(),
            replicas=replicas,
            extra=dict(BENCH_LIMITS),
        )
        started = time.perf_counter()
        self.cluster.start()
        self.url, self.token = self.cluster.url, self.cluster.token
        self.ready = wait_first_answer(self.url, self.token, started)

    def processes(self) -> Dict[str, int]:  # noqa: D102
        named = {}
        for i, pair in enumerate(self.cluster.pairs):
            named[f"actions-{i + 1}"] = pair.processes[0].pid
            named[f"rasa-{i + 1}"] = pair.processes[1].pid
        return named

    def stop(self) -> None:  # noqa: D102
        self.cluster.stop()


def stock_model(log: Callable[[str], None]) -> Path:
    """The stock bot's folder (`rasa init --no-prompt`, trained once and cached)."""
    bot = STOCK_DIR / "bot"
    models = sorted((bot / "models").glob("*.tar.gz")) if bot.exists() else []
    if models:
        return bot
    log("making the stock bot (rasa init --no-prompt, trains once, a few minutes)...")
    shutil.rmtree(bot, ignore_errors=True)
    bot.mkdir(parents=True)
    subprocess.run(
        [str(Path(sys.executable).parent / "rasa"), "init", "--no-prompt"],
        cwd=bot,
        env=_rasa_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return bot


def _rasa_env() -> Dict[str, str]:
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "PYTHONWARNINGS": "ignore",
        "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
    }


class StockBot(Bot):
    """A `rasa init` bot served with `rasa run --enable-api` (REST channel, no actions)."""

    name = "stock"

    def __init__(self, folder: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self.log = open(STOCK_DIR / "rasa.log", "w")
        model = sorted((folder / "models").glob("*.tar.gz"))[-1]
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).parent / "rasa"),
                "run",
                "--model",
                str(model),
                "--enable-api",
                "--port",
                str(port),
                "--interface",
                "127.0.0.1",
            ],
            cwd=folder,
            env=_rasa_env(),
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.ready = wait_first_answer(self.url, self.token, started)

    def processes(self) -> Dict[str, int]:  # noqa: D102
        return {"rasa": self.process.pid}

    def stop(self) -> None:  # noqa: D102
        os.killpg(self.process.pid, 15)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait()
        self.log.close()
