"""Seconds from `make run` to the assistant's first answer, with a trained model.

Each run starts `make run` (as a person would, in its own process group, on free ports and a
fresh var folder), sends "hi" over the REST webhook until it is answered, then stops it with
Ctrl-C's signal. Prints each run and the median. Run `make train` first: training is not
start-up.

Reproduce: `.venv/bin/python -m benchmarks.ready --runs 3`.
"""

import argparse
import os
import secrets
import signal
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.bots import wait_first_answer
from scripts.serve import MODEL
from tests.servers import free_port


def one_run() -> float:
    """One start of `make run`: seconds to the first answer."""
    token = secrets.token_urlsafe(24)
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="pause-ready-") as var:
        env = {**os.environ, "PAUSE_VAR_DIR": var, "RASA_API_TOKEN": token,
               "RASA_PORT": str(port), "ACTION_PORT": str(free_port()),
               "WEB_PORT": str(free_port())}
        started = time.perf_counter()
        process = subprocess.Popen(["make", "--no-print-directory", "run"], env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   start_new_session=True)
        try:
            return wait_first_answer(f"http://127.0.0.1:{port}", token, started)
        finally:
            os.killpg(process.pid, signal.SIGINT)
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def main() -> None:
    """Print each run's seconds and their median."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stale = subprocess.run(["make", "-q", str(MODEL.relative_to(Path.cwd()))],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    if not MODEL.exists() or stale:
        raise SystemExit(f"{MODEL} is missing or older than its inputs: run `make train` first")
    seconds = []
    for i in range(args.runs):
        seconds.append(one_run())
        print(f"run {i + 1}: {seconds[-1]:.1f} s to the first answer", flush=True)
    print(f"median over {args.runs} runs: {statistics.median(seconds):.1f} s")


if __name__ == "__main__":
    main()
