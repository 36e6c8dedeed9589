"""stores/action_results.py: the same verdicts as Rasa's own check of action results."""

import jsonschema
import pytest
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from stores.action_results import install_validator_cache

GOOD = {
    "events": [{"event": "slot", "name": "pause_noticed", "value": "a pull"}],
    "responses": [{"response": "utter_ask_pause_before"}],
}
BAD = {"events": [{"event": "slot", "name": 3}], "responses": "not a list"}


@pytest.fixture
def action() -> RemoteAction:
    install_validator_cache()
    return RemoteAction("action_x", EndpointConfig("http://127.0.0.1:1/webhook"))


def test_a_good_result_passes(action: RemoteAction) -> None:
    jsonschema.validate(GOOD, RemoteAction.action_response_format_spec())  # Rasa's verdict
    assert action._validate_action_result(GOOD) is True
    assert action._validate_action_result({}) is True


def test_a_bad_result_raises_as_rasa_does(action: RemoteAction) -> None:
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(BAD, RemoteAction.action_response_format_spec())
    with pytest.raises(jsonschema.ValidationError) as raised:
        action._validate_action_result(BAD)
    assert "Failed to validate Action server response from API" in raised.value.message
