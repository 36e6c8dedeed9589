"""Median time of one REST reply, and the servers' memory, on this machine.

Starts the action server and the Rasa server on free ports (a temporary var folder),
warms them up, then sends each message of MESSAGES `--rounds` times, one at a time, each
from a fresh sender. Prints median and 90th percentile per message kind and overall.
Reproduce: `make bench` or `.venv/bin/python -m benchmarks.rest_latency --rounds 20`.
"""

import argparse
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List

import requests

from scripts import serve
from tests.servers import free_port

ROOT = Path(__file__).resolve().parent.parent

MESSAGES = {
    "faq": "why do I pull away after a great weekend?",
    "moment": "she told me she loves me and now i just want to run",
    "exercise start": "help me pause",
    "greet": "hi",
    "crisis": "i don't want to be here anymore",
}


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        token = secrets.token_urlsafe(24)
        overrides = {
            "PAUSE_VAR_DIR": tmp,
            "RASA_API_TOKEN": token,
            "RATE_LIMIT_PER_SENDER": "100000",  # one benchmark client sends everything
            "RATE_LIMIT_PER_IP": "100000",
            "RASA_PORT": str(free_port()),
            "ACTION_PORT": str(free_port()),
        }
        started = time.perf_counter()
        servers = serve.start(overrides, log_dir=Path(tmp) / "logs")
        startup = time.perf_counter() - started
        url = f"http://127.0.0.1:{overrides['RASA_PORT']}/webhooks/rest/webhook"
        auth = {"Authorization": f"Bearer {token}"}
        try:
            for text in MESSAGES.values():  # warm-up
                requests.post(url, json={"sender": "warm", "message": text}, headers=auth,
                              timeout=60)
            timings: Dict[str, List[float]] = {kind: [] for kind in MESSAGES}
            for _ in range(args.rounds):
                for kind, text in MESSAGES.items():
                    sender = uuid.uuid4().hex
                    t0 = time.perf_counter()
                    reply = requests.post(url, json={"sender": sender, "message": text},
                                          headers=auth, timeout=60)
                    timings[kind].append((time.perf_counter() - t0) * 1000)
                    reply.raise_for_status()
            memory = {
                name: rss_mb(p.pid)
                for name, p in zip(("actions", "rasa"), servers.processes, strict=False)
            }
        finally:
            servers.stop()
    every = [t for values in timings.values() for t in values]
    print(f"start-up of both servers: {startup:.1f} s")
    print(f"{'message':<16} {'median ms':>10} {'p90 ms':>8} {'n':>4}")
    for kind, values in {**timings, "all": every}.items():
        p90 = statistics.quantiles(values, n=10)[-1]
        print(f"{kind:<16} {statistics.median(values):>10.1f} {p90:>8.1f} {len(values):>4}")
    print("resident memory: " + ", ".join(f"{k} {v:.0f} MB" for k, v in memory.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
