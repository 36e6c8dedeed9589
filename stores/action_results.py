"""The action server's answers checked against one compiled schema, not a new one each time.

Rasa 3.6's ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` on
every answer of the action server; that checks the (large) schema itself against the
JSON-Schema meta-schema and builds a new validator each time. Profiled under load
(py-spy, README "Performance"), it was about a fifth of the Rasa server's CPU. The
replacement validates with a validator built once, and raises the same
``ValidationError`` with the same message.
"""

from typing import Any, Dict, Text

from jsonschema import ValidationError, validators
from jsonschema.exceptions import best_match
from rasa.core.actions.action import RemoteAction
from rasa.shared.constants import DOCS_BASE_URL

_INSTALLED = "_pause_validator_cache"


def _validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    validator = getattr(RemoteAction, "_pause_validator", None)
    if validator is None:
        schema = self.action_response_format_spec()
        cls = validators.validator_for(schema)
        cls.check_schema(schema)  # once
        validator = cls(schema)
        RemoteAction._pause_validator = validator  # type: ignore[attr-defined]
    error = best_match(validator.iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, "
        "make sure your response from the Action endpoint is valid. "
        f"For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def install_validator_cache() -> None:
    """Replace Rasa's validation of action results (once per process)."""
    if getattr(RemoteAction, _INSTALLED, False):
        return
    RemoteAction._validate_action_result = _validate_action_result  # type: ignore[method-assign]
    setattr(RemoteAction, _INSTALLED, True)


__all__ = ["ValidationError", "install_validator_cache"]
