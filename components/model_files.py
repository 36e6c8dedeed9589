"""Arrays a trained component keeps in the model (Rasa's model storage)."""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage


def write_arrays(storage: ModelStorage, resource: Resource, name: str,
                 arrays: Dict[str, np.ndarray]) -> None:
    """Stores ``arrays`` in the component's folder as ``name`` (an .npz file)."""
    with storage.write_to(resource) as folder:
        np.savez(folder / name, **arrays)


def read_arrays(storage: ModelStorage, resource: Resource,
                name: str) -> Optional[Dict[str, np.ndarray]]:
    """The arrays stored as ``name``, or None when training stored nothing."""
    try:
        with storage.read_from(resource) as folder:
            with np.load(folder / name) as stored:
                return {key: stored[key] for key in stored.files}
    except (ValueError, FileNotFoundError):
        return None
