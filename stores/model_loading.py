"""Rasa's TensorFlow models loaded for prediction without a training step.

Rasa 3.6's ``RasaModel.load`` builds each model (DIET, ResponseSelector, TED) by
compiling it with an Adam optimizer and running ``fit`` for one epoch on an example,
then overwrites the weights with ``load_weights``. Tracing the training function
(gradients included) was about 19 of the Rasa server's 33 s start-up (py-spy, README
"Performance"), and the optimizer's two slots per weight and the traced training graph
stay in memory for the server's whole life, unused.

The replacement restores the checkpoint into the empty model first: TensorFlow's
object-based checkpoints restore a variable when it is created, so the prediction
step that Rasa runs anyway on an example (to trace it) creates exactly the weights
prediction needs, with their trained values. Only the optimizer's slots and the
training-only objects (the loss metric) are left unrestored, which is expected.

It is used only for prediction (not when fine-tuning, and not without a prediction
example: then Rasa's own load runs). A test compares the predictions of both loaders on
the trained model (tests/test_model_loading.py).
"""

import logging
from typing import Any, Optional, Text

from rasa.utils.tensorflow.model_data import RasaModelData
from rasa.utils.tensorflow.models import RasaModel

logger = logging.getLogger(__name__)

_INSTALLED = "_pause_fast_load"
_ORIGINAL = RasaModel.load.__func__  # type: ignore[attr-defined]


def load_for_prediction(
    cls: Any,
    model_file_name: Text,
    model_data_example: RasaModelData,
    predict_data_example: Optional[RasaModelData] = None,
    finetune_mode: bool = False,
    *args: Any,
    **kwargs: Any,
) -> RasaModel:
    """``RasaModel.load`` without the training step (see the module docstring)."""
    if finetune_mode or not predict_data_example:
        return _ORIGINAL(cls, model_file_name, model_data_example, predict_data_example,
                         finetune_mode, *args, **kwargs)
    model = cls(*args, **kwargs)
    model._run_eagerly = bool(kwargs.get("config", {}).get("run_eagerly"))
    status = model.load_weights(model_file_name)
    model.run_inference(predict_data_example)  # creates (and so restores) every weight
    status.expect_partial()  # the optimizer's slots and the loss metric are not needed
    return model


def install_fast_model_loading() -> None:
    """Make ``RasaModel.load`` skip the training step when predicting (once per process)."""
    if getattr(RasaModel, _INSTALLED, False):
        return
    RasaModel.load = classmethod(load_for_prediction)  # type: ignore[assignment]
    setattr(RasaModel, _INSTALLED, True)
