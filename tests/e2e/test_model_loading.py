"""stores/model_loading.py: the trained model loaded without a training step predicts the same.

Each loader runs in its own process (tests/e2e/model_outputs.py) on models/pause.tar.gz:
every weight of DIET and the ResponseSelector must be bit for bit what Rasa's own
``RasaModel.load`` gives, and so must the parses and the policies' predictions. How much
faster it loads is measured by the load benchmark's start-up figure, not asserted here.
"""

import os
import pickle
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict

import numpy as np
import pytest

from tests.e2e.model_outputs import MODEL, ROOT

pytestmark = pytest.mark.e2e


def dump(loader: str, folder: Path) -> Dict[str, Any]:
    out = folder / f"{loader}.pkl"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "2",
           "PYTHONWARNINGS": "ignore", "RASA_TELEMETRY_ENABLED": "false"}
    subprocess.run([sys.executable, "-m", "tests.e2e.model_outputs", loader, str(out)],
                   cwd=ROOT, env=env, check=True, timeout=600,
                   stdout=subprocess.DEVNULL)
    return pickle.loads(out.read_bytes())


@pytest.fixture(scope="module")
def dumps(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, Dict[str, Any]]:
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make train`")
    folder = tmp_path_factory.mktemp("model-outputs")
    return {loader: dump(loader, folder) for loader in ("rasa", "fast")}


def test_every_weight_is_the_trained_one(dumps: Dict[str, Dict[str, Any]]) -> None:
    rasa, fast = dumps["rasa"]["models"], dumps["fast"]["models"]
    assert set(rasa) == set(fast) and len(rasa) == 2  # DIET, ResponseSelector
    for name in rasa:
        expected, got = rasa[name]["weights"], fast[name]["weights"]
        assert [n for n, _ in got] == [n for n, _ in expected], name
        for (weight, a), (_, b) in zip(expected, got, strict=True):
            assert a.shape == b.shape and np.array_equal(a, b), f"{name}: {weight}"


def test_no_optimizer_is_built(dumps: Dict[str, Dict[str, Any]]) -> None:
    assert all(m["optimizer"] for m in dumps["rasa"]["models"].values())
    assert not any(m["optimizer"] for m in dumps["fast"]["models"].values())


def test_parses_and_predictions_are_the_same(dumps: Dict[str, Dict[str, Any]]) -> None:
    assert dumps["fast"]["predictions"] == dumps["rasa"]["predictions"]
    assert len(dumps["rasa"]["predictions"]) >= 10
