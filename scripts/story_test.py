"""Run the conversation tests (tests/test_stories.yml) and fail on any wrong prediction.

Reproduce: `make story-test` (reports in results/stories/).
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    """Run `rasa test core` on the conversation tests."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    command = [
        str(Path(sys.executable).parent / "rasa"),
        "test",
        "core",
        "--model",
        str(ROOT / "models" / "pause.tar.gz"),
        "--stories",
        str(ROOT / "tests" / "test_stories.yml"),
        "--out",
        str(ROOT / "results" / "stories"),
        "--no-plot",
        "--fail-on-prediction-errors",
    ]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    summary = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if "rasa.core.test" in line or "Failed" in line or "Correct" in line
    ]
    print("\n".join(summary[-30:]))
    failed = ROOT / "results" / "stories" / "failed_test_stories.yml"
    if result.returncode != 0:
        if failed.exists():
            print(failed.read_text()[:6000])
        print((result.stdout + result.stderr)[-3000:])
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
