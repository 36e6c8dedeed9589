"""Training time of the full model (NLU and dialogue), from scratch, as a median.

Trains into a temporary folder with `--force` (no cache reuse) `--runs` times.
Reproduce: `.venv/bin/python -m benchmarks.train_time --runs 3`.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    seconds = []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            subprocess.run(
                [
                    str(Path(sys.executable).parent / "rasa"),
                    "train",
                    "--force",
                    "--out",
                    out,
                    "--fixed-model-name",
                    "bench",
                ],
                cwd=ROOT,
                env=env,
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            seconds.append(time.perf_counter() - started)
    print(
        f"training from scratch: median {statistics.median(seconds):.0f} s over "
        f"{len(seconds)} run(s): {', '.join(f'{s:.0f}' for s in seconds)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
