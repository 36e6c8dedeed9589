"""Run `rasa data validate --fail-on-warnings` and fail on every warning it cannot explain.

Rasa 3.6's validator only looks at stories and rules, so it reports every response
that is uttered by a form (``utter_ask_<slot>``), by Rasa's own fallback actions, or by
our custom actions (``dispatcher.utter_message(response=...)``) as "not used in any
story or rule". This script accepts exactly those warnings, and only after proving
the response is used: a form asks for that slot, a default action utters it, or a
string literal in ``actions/`` or ``pause/`` (the export's labels) names it. It also
accepts the one warning Rasa raises when it merges the retrieval intent ``faq`` (listed
in domain.yml so that rules may use it) with the same intent it derives from the NLU
data, and that an ``EXTERNAL_`` intent (Rasa's convention for intents sent through the
API, here by the check-in scheduler) has no NLU examples: nobody types it. Any other
warning fails the run.
"""

import ast
import re
import subprocess
import sys
from pathlib import Path
from typing import Set

from pause.domain import load_domain

ROOT = Path(__file__).resolve().parent.parent
#: Responses that Rasa's default actions utter (two-stage fallback, default fallback).
DEFAULT_ACTION_RESPONSES = {"utter_ask_rephrase", "utter_default"}
UNUSED = re.compile(r"The utterance '([^']+)' is not used in any story or rule\.")
RETRIEVAL_MERGE = (
    "The following duplicated intents have been found across multiple " "domain files: faq"
)
EXTERNAL_INTENT = re.compile(
    r"The intent '(EXTERNAL_[a-z_]+)' is listed in the domain file, but is not found in the NLU"
)
WARNING = re.compile(r"UserWarning: (.*)|\bWARNING\b\s+\S+\s+-\s+(.*)")


def responses_used_by_actions() -> Set[str]:
    """Names of responses the custom actions utter (string literals in actions/ and pause/)."""
    names: Set[str] = set()
    for path in [*(ROOT / "actions").glob("*.py"), *(ROOT / "pause").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if re.fullmatch(r"utter_[a-z_]+/?", node.value):
                    names.add(node.value.rstrip("/"))
    return names


def form_asks() -> Set[str]:
    """``utter_ask_<slot>`` for every required slot of every form in the domain."""
    domain = load_domain()
    return {
        f"utter_ask_{slot}"
        for form in (domain.get("forms") or {}).values()
        for slot in form.get("required_slots") or []
    }


def main() -> int:
    """Validate; print what was accepted and why; return the exit code."""
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "rasa"),
            "data",
            "validate",
            "--fail-on-warnings",
            "--max-history",
            "5",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"},
    )
    output = result.stdout + result.stderr
    explained = responses_used_by_actions() | form_asks() | DEFAULT_ACTION_RESPONSES
    accepted, problems = [], []
    for line in output.splitlines():
        match = WARNING.search(line)
        if not match:
            continue
        message = (match.group(1) or match.group(2) or "").strip()
        unused = UNUSED.search(message)
        if unused and unused.group(1) in explained:
            accepted.append(unused.group(1))
        elif EXTERNAL_INTENT.match(message):
            print(f"accepted: {EXTERNAL_INTENT.match(message).group(1)} is sent through the API")  # type: ignore[union-attr]
        elif message == RETRIEVAL_MERGE:
            print("accepted: Rasa merged the retrieval intent 'faq' from the NLU data")
        elif "DeprecationWarning" not in line:
            problems.append(message)
    if "Traceback" in output or "ERROR" in output:
        problems.append("rasa data validate reported an error:\n" + output[-3000:])
    print(
        f"rasa data validate: {len(accepted)} responses are uttered by forms, default "
        f"actions or custom actions (checked): {', '.join(sorted(accepted))}"
    )
    if problems:
        print(f"{len(problems)} unexplained warning(s):")
        for problem in problems:
            print(f"  - {problem}")
        return 1
    if result.returncode != 0 and not accepted:
        print(output[-3000:])
        return 1
    print("rasa data validate: no other warnings.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
