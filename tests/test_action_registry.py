"""The action server registers exactly the custom actions the domain lists."""
from rasa_sdk.executor import ActionExecutor

from tests.conftest import ROOT


def test_every_domain_action_is_served(domain) -> None:
    executor = ActionExecutor()
    executor.register_package("actions")
    assert sorted(executor.actions) == sorted(domain["actions"])
    assert (ROOT / "actions").is_dir()
