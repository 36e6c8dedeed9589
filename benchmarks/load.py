"""Concurrent conversations over the REST webhook: this project against a stock `rasa init` bot.

Each simulated person holds a realistic 10-message conversation (a greeting, an FAQ
question, a described moment, the start of the exercise, a few answers, stop, goodbye),
each time as a new sender, and waits for every reply before the next message. Loads:

* closed loop with 1, 10 and 50 people (no pause between a reply and the next message);
* paced, 50 people with an exponential think time (mean 2 s) before each message.

Both bots are started by this script, one after the other, in each run: the project
through scripts/serve.py's code path (action server + Rasa server, temporary var folder,
SQLite stores), the stock bot with `rasa run --enable-api` in a folder made by
`rasa init --no-prompt` (trained once, cached in var/stock/). Prints, per load and bot,
msgs/s, p50/p95/p99 latency and errors, the resident memory of every server process
(after the load), the time from start to the first answer, and the ratio of the
project's throughput to the stock bot's. Figures are medians over `--runs` runs.

Reproduce: `.venv/bin/python -m benchmarks.load --runs 3` (about 15 min on 2 cores);
`--quick` for one short run; `--cluster 2 1` loads scripts/cluster.py's nginx with two,
then one replica (PostgreSQL, Redis) instead (each started once, loaded `--runs` times;
`--stock` adds the stock bot, likewise);
`--url URL --token T` loads servers already running.

Levers are compared side by side in one run, never against an older figure: `--variant
NAME=VAR=VALUE[,VAR=VALUE]` adds a bot NAME, the project with those variables;
`--base DIR` adds the bot `base`, the project of another checkout (e.g. `git worktree add
DIR <commit>`) on that checkout's own models/pause.tar.gz, or this checkout's model when it
has none. Each run starts every bot in turn (the order
rotates from run to run), so noise from other jobs spreads over all of them; the ratios
are to the stock bot of the same run.
"""

import argparse
import asyncio
import json
import random
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import aiohttp

from benchmarks.bots import (
    Bot,
    CheckoutBot,
    ClusterBot,
    ProjectBot,
    StockBot,
    memory,
    send,
    stock_model,
)

ROOT = Path(__file__).resolve().parent.parent

#: One conversation: what a person writes, in order (each a separate REST message).
SCRIPT: Tuple[str, ...] = (
    "hi",
    "why do I pull away after a great weekend?",
    "we had a great weekend and now i just want to be alone",
    "help me pause",
    "yes",
    "she said she loves me",
    "tight chest, restless",
    "she is too much for me",
    "stop",
    "thanks, bye",
)

#: (name, people, mean think time in seconds; 0 = closed loop)
LOADS: Tuple[Tuple[str, int, float], ...] = (
    ("closed 1", 1, 0.0),
    ("closed 10", 10, 0.0),
    ("closed 50", 50, 0.0),
    ("paced 50", 50, 2.0),
)


@dataclass
class Result:
    """What one load gave against one bot."""

    latencies: List[float] = field(default_factory=list)  # seconds, successful replies
    errors: int = 0
    empty: int = 0
    elapsed: float = 0.0

    @property
    def rate(self) -> float:
        """Successful replies per second."""
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        """The ``p``-th percentile of the latencies, in seconds (nearest rank)."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def person(
    http: aiohttp.ClientSession,
    url: str,
    token: str,
    think: float,
    until: float,
    result: Result,
    rng: random.Random,
    script: Sequence[str] = SCRIPT,
    sent: Optional[Dict[str, List[str]]] = None,
) -> None:
    """One simulated person: conversations back to back until ``until`` (monotonic).

    ``sent`` collects, per sender, the texts that were answered (the cluster tests
    compare them with the trackers).
    """
    while time.monotonic() < until:
        sender = f"load-{uuid.uuid4().hex[:12]}"
        for text in script:
            if think:
                await asyncio.sleep(rng.expovariate(1 / think))
            if time.monotonic() >= until:
                return
            started = time.perf_counter()
            try:
                replies = await send(http, url, token, sender, text)
            except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError):
                result.errors += 1
                continue
            result.latencies.append(time.perf_counter() - started)
            if sent is not None:
                sent.setdefault(sender, []).append(text)
            if not replies:
                result.empty += 1


async def load(
    url: str,
    token: str,
    people: int,
    think: float,
    duration: float,
    seed: int = 0,
    script: Sequence[str] = SCRIPT,
    sent: Optional[Dict[str, List[str]]] = None,
) -> Result:
    """Run ``people`` simulated people for ``duration`` seconds against ``url``."""
    result = Result()
    timeout = aiohttp.ClientTimeout(total=120)
    connector = aiohttp.TCPConnector(limit=people + 4)
    async with aiohttp.ClientSession(timeout=timeout, connector=connector) as http:
        started = time.monotonic()
        until = started + duration
        await asyncio.gather(
            *(
                person(http, url, token, think, until, result, random.Random(seed + i), script,
                       sent)
                for i in range(people)
            )
        )
        result.elapsed = time.monotonic() - started
    return result


# --- one run, many runs --------------------------------------------------------------


def run_loads(bot_url: str, token: str, duration: float, seed: int) -> Dict[str, Result]:
    """Every load of LOADS against one running bot (after a short warm-up)."""
    asyncio.run(load(bot_url, token, 2, 0.0, 3.0, seed=seed))  # warm-up, not counted
    results = {}
    for name, people, think in LOADS:
        results[name] = asyncio.run(load(bot_url, token, people, think, duration, seed=seed))
    return results


def one_run(bots: Sequence[str], duration: float, seed: int, log: Callable[[str], None],
            extra: Dict[str, str], repeat: int = 1,
            variants: Optional[Dict[str, Dict[str, str]]] = None,
            base: Optional[Path] = None) -> List[Dict[str, Any]]:
    """Start each bot, load it (``repeat`` times), measure its memory, stop it.

    ``variants`` maps a bot name to the extra variables of that project bot; ``base`` is
    the checkout of the bot ``base``. Returns one figures dict per repetition (the
    start-up figures are the same in each).
    """
    figures: List[Dict[str, Any]] = [{} for _ in range(repeat)]
    variants = variants or {}
    for which in bots:
        bot: Bot
        if which == "pause":
            bot = ProjectBot(extra)
        elif which in variants:
            bot = ProjectBot({**extra, **variants[which]})
        elif which == "base":
            assert base is not None
            bot = CheckoutBot(base, extra)
        elif which.startswith("cluster"):
            bot = ClusterBot(int(which[len("cluster"):]))
        else:
            bot = StockBot(stock_model(log))
        try:
            log(f"  {which}: ready in {bot.ready:.1f} s, loading...")
            at_ready = memory(bot.processes())
            for i in range(repeat):
                results = run_loads(bot.url, bot.token, duration, seed + i)
                figures[i][which] = {"ready": bot.ready, "loads": results,
                                     "rss": memory(bot.processes()), "rss_ready": at_ready}
        finally:
            bot.stop()
    return figures


def median(values: List[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(runs: List[Dict[str, Any]], bots: Sequence[str]) -> str:
    """The medians over runs, as a table."""
    lines = [f"medians over {len(runs)} run(s); {len(SCRIPT)}-message conversations over REST"]
    lines.append(f"{'load':<10} {'bot':<6} {'msgs/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
                 f"{'p99 ms':>7} {'errors':>6} {'empty':>5}")
    for name, _, _ in LOADS:
        for which in bots:
            results = [run[which]["loads"][name] for run in runs]
            lines.append(
                f"{name:<10} {which:<6} {median([r.rate for r in results]):>7.1f} "
                f"{median([r.percentile(50) for r in results]) * 1000:>7.0f} "
                f"{median([r.percentile(95) for r in results]) * 1000:>7.0f} "
                f"{median([r.percentile(99) for r in results]) * 1000:>7.0f} "
                f"{sum(r.errors for r in results):>6} {sum(r.empty for r in results):>5}"
            )
        reference = "stock" if "stock" in bots else (bots[1] if len(bots) == 2 else None)
        for which in bots:
            if reference is None or which == reference:
                continue
            ratios = [run[which]["loads"][name].rate / run[reference]["loads"][name].rate
                      for run in runs if run[reference]["loads"][name].rate]
            lines.append(f"{name:<10} ratio {which}/{reference}: {median(ratios):.2f}")
    for which in bots:
        names = runs[0][which]["rss"].keys()
        nan = float("nan")
        rss = ", ".join(
            f"{n} {median([run[which]['rss'].get(n, nan) for run in runs]):.0f} MB" for n in names)
        total = median([sum(v for n, v in run[which]["rss"].items() if not n.endswith("largest"))
                        for run in runs])
        lines.append(f"{which}: RSS after the load: {rss}; all {total:.0f} MB")
        if "rss_ready" in runs[0][which]:
            ready_rss = ", ".join(
                f"{n} {median([run[which]['rss_ready'].get(n, nan) for run in runs]):.0f} MB"
                for n in names)
            lines.append(f"{which}: RSS when ready (before any load): {ready_rss}")
        lines.append(f"{which}: start to first answer: "
                     f"{median([run[which]['ready'] for run in runs]):.1f} s")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--duration", type=float, default=20.0, help="seconds per load")
    parser.add_argument("--quick", action="store_true", help="one run, 6 s per load")
    parser.add_argument("--only", choices=["pause", "stock"], help="load one bot only")
    parser.add_argument("--cluster", type=int, nargs="+", metavar="N",
                        help="load scripts/cluster.py with N replicas (through nginx) instead")
    parser.add_argument("--stock", action="store_true",
                        help="with --cluster: also load the stock bot in the same run")
    parser.add_argument("--url", help="load servers already running there (no stock bot)")
    parser.add_argument("--token", default="", help="the API token of --url")
    parser.add_argument("--env", action="append", default=[], metavar="NAME=VALUE",
                        help="extra variable for the project's servers (a lever to try)")
    parser.add_argument("--variant", action="append", default=[], metavar="NAME=VAR=VALUE,...",
                        help="also load the project with these variables, as bot NAME")
    parser.add_argument("--base", type=Path, metavar="DIR",
                        help="also load the project of another checkout, as bot 'base'")
    parser.add_argument("--json", type=Path, help="also write the raw figures there")
    args = parser.parse_args(argv)
    if args.quick:
        args.runs, args.duration = 1, 6.0
    extra = dict(item.split("=", 1) for item in args.env)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    runs: List[Dict[str, Any]] = []
    if args.url:
        bots: Tuple[str, ...] = ("target",)
        for i in range(args.runs):
            log(f"run {i + 1}/{args.runs} against {args.url}")
            results = run_loads(args.url, args.token, args.duration, seed=i * 1000)
            runs.append({"target": {"ready": float("nan"), "loads": results, "rss": {}}})
        print(report(runs, bots))
        return 0
    variants: Dict[str, Dict[str, str]] = {}
    for item in args.variant:
        name, _, assignments = item.partition("=")
        variants[name] = dict(a.split("=", 1) for a in assignments.split(",") if a)
    bots = (args.only,) if args.only else (
        ("pause",) + (("base",) if args.base else ()) + tuple(variants) + ("stock",))
    if args.cluster:
        bots = tuple(f"cluster{n}" for n in args.cluster) + (("stock",) if args.stock else ())
    if args.cluster:  # a cluster takes minutes to start: start once, load --runs times
        runs = one_run(bots, args.duration, 0, log, extra, repeat=args.runs)
    for i in range(0 if args.cluster else args.runs):
        log(f"run {i + 1}/{args.runs}")
        order = bots[i % len(bots):] + bots[:i % len(bots)]  # who goes first rotates
        runs += one_run(order, args.duration, i * 1000, log, extra, variants=variants,
                        base=args.base.resolve() if args.base else None)
    print(report(runs, bots))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            [{b: {"ready": r[b]["ready"], "rss": r[b]["rss"], "rss_ready": r[b].get("rss_ready"),
                  "loads": {n: {"rate": x.rate, "p50": x.percentile(50),
                                "p95": x.percentile(95), "p99": x.percentile(99),
                                "errors": x.errors, "empty": x.empty}
                            for n, x in r[b]["loads"].items()}} for b in r} for r in runs],
            indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
