"""Load the trained model as the Rasa server does and dump what it predicts (a test helper).

    python -m tests.e2e.model_outputs rasa|fast OUT.pkl

``rasa`` loads with Rasa's own ``RasaModel.load``, ``fast`` with stores/model_loading.py's.
The dump holds every weight of each TensorFlow model (in order), whether an optimizer
was built, the parse of a set of messages, and the policies' predictions along a
conversation. Run in a fresh process per loader, so neither sees the other's state.
"""

import asyncio
import pickle
import sys
from pathlib import Path
from typing import Any, Dict, List

from rasa.core.agent import Agent
from rasa.shared.core.events import ActionExecuted, UserUttered

from benchmarks.load import SCRIPT

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "pause.tar.gz"
MESSAGES = list(SCRIPT) + [
    "what is avoidant attachment",
    "my partner wants more closeness and I panic",
    "I feel trapped when she texts every hour",
    "i want to stop check-ins",
    "delete everything you know about me",
]


async def predictions(agent: Agent) -> List[Dict[str, Any]]:
    """The parse of each message, and the policies' next actions after it."""
    processor = agent.processor
    assert processor is not None
    tracker = await processor.fetch_tracker_and_update_session("model-outputs")
    found = []
    for text in MESSAGES:
        parsed = await agent.parse_message(text)
        tracker.update(UserUttered(text, parsed["intent"], parsed["entities"], parsed))
        actions = []
        for _ in range(3):
            prediction = processor._predict_next_with_tracker(tracker)
            name = agent.domain.action_names_or_texts[prediction.max_confidence_index]
            actions.append((name, prediction.policy_name, list(prediction.probabilities)))
            tracker.update(ActionExecuted(name))
            if name == "action_listen":
                break
        found.append({"text": text, "parse": parsed, "actions": actions})
    return found


def main(loader: str, out: Path) -> None:
    """Load with ``loader`` and write the dump to ``out``."""
    if loader == "fast":
        from stores.model_loading import install_fast_model_loading

        install_fast_model_loading()
    agent = Agent.load(str(MODEL))
    assert agent.processor is not None
    models = {}
    for name, node in agent.processor.graph_runner._instantiated_nodes.items():  # type: ignore
        model = getattr(node._component, "model", None)
        if model is not None and hasattr(model, "weights"):
            models[name] = {
                "weights": [(v.name, v.numpy()) for v in model.weights],
                "optimizer": getattr(model, "optimizer", None) is not None,
            }
    dump = {"models": models,
            "predictions": asyncio.run(predictions(agent))}
    out.write_bytes(pickle.dumps(dump))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
