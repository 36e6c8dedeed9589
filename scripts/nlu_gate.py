"""Evaluate the trained model on the held-out NLU test set (tests/nlu/) and gate on it.

Fails when intent accuracy < 0.92, retrieval-intent (faq/<key>) accuracy < 0.92, or
crisis recall < 1.0. Prints the per-intent and per-topic reports.
Reproduce: `make nlu-test` (reports are written to results/nlu/).
"""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "results" / "nlu"
MODEL = ROOT / "models" / "pause.tar.gz"
GATES = {"intent accuracy": 0.92, "retrieval accuracy": 0.92, "crisis recall": 1.0}


def print_report(title: str, report: Dict[str, Any]) -> None:
    print(f"\n{title}")
    print(f"  {'label':<42} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}")
    for label, row in sorted(report.items()):
        if not isinstance(row, dict) or "support" not in row or label.endswith(" avg"):
            continue
        print(
            f"  {label:<42} {row['precision']:>6.3f} {row['recall']:>6.3f} "
            f"{row['f1-score']:>6.3f} {row['support']:>5}"
        )


def main() -> int:
    """Run `rasa test nlu`, print the reports and apply the gates."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONWARNINGS": "ignore"}
    command = [
        str(Path(sys.executable).parent / "rasa"),
        "test",
        "nlu",
        "--model",
        str(MODEL),
        "--nlu",
        str(ROOT / "tests" / "nlu"),
        "--out",
        str(OUT),
        "--no-plot",
    ]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    intents = json.loads((OUT / "intent_report.json").read_text())
    responses = json.loads((OUT / "response_selection_report.json").read_text())
    print_report("Intents (tests/nlu, held out)", intents)
    print_report("FAQ topics (ResponseSelector)", responses)
    figures = {
        "intent accuracy": float(intents["accuracy"]),
        "retrieval accuracy": float(responses["accuracy"]),
        "crisis recall": float(intents["crisis"]["recall"]),
    }
    failed = False
    print()
    for name, value in figures.items():
        ok = value >= GATES[name]
        failed |= not ok
        print(f"  {name:<20} {value:.4f}  (gate >= {GATES[name]})  {'ok' if ok else 'FAILED'}")
    errors = OUT / "intent_errors.json"
    if errors.exists():
        for error in json.loads(errors.read_text())[:40]:
            print(
                f"  miss: {error['intent']:<20} -> {error['intent_prediction']['name']:<20} "
                f"{error['text'][:70]}"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
