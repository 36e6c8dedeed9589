"""The exercise's step table: the seven steps, in order, and what each one is called.

Each step is a column of the reflections table (pause/repository.py) and a slot
``pause_<step>`` of the ``pause_form`` (domain.yml); the form's validation is in
actions/steps.py.
"""

from typing import Dict, FrozenSet, Tuple

#: The exercise's steps, in order; each is a column and a form slot ``pause_<step>``.
STEPS: Tuple[str, ...] = ("noticed", "before", "body", "reason", "verdict", "wait", "step")
FORM_NAME = "pause_form"
SLOTS: Dict[str, str] = {step: f"pause_{step}" for step in STEPS}
OPTIONAL_STEPS: FrozenSet[str] = frozenset({"step"})
#: The value of an optional step that was skipped.
SKIPPED = "skipped"
#: The value of step 1 when the person confirmed the moment Pause recognised.
CONFIRMED = "confirmed"
