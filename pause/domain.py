"""The domain as one mapping: the files of domain/ merged, as Rasa merges them.

The domain is split by area (domain/core.yml, faq.yml, moment.yml, exercise.yml,
reflections.yml, safety.yml, checkins.yml); Rasa reads the folder (domain.yml links to it,
so ``rasa train`` and ``rasa data validate`` find it without ``--domain``). Tests and
scripts read it here, with plain YAML, never file by file.
"""

from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOMAIN_DIR = ROOT / "domain"
FAQ_RESPONSES = ROOT / "data" / "responses" / "faq.yml"
#: The area files in the order of the one domain.yml they were split from: where a payload
#: has several button titles, the first in this order names it (actions/topics.py).
AREAS = ("safety", "core", "faq", "moment", "exercise", "reflections", "checkins")
_LISTS = ("intents", "entities", "actions")
_MAPPINGS = ("slots", "forms", "responses", "session_config")


def load_domain(with_faq: bool = False, directory: Path = DOMAIN_DIR) -> Dict[str, Any]:
    """The merged domain; with ``with_faq``, the FAQ answers among its responses too.

    Raises:
        ValueError: If two files define the same slot, form or response.

    """
    merged: Dict[str, Any] = {key: [] for key in _LISTS}
    merged.update({key: {} for key in _MAPPINGS})
    known = [directory / f"{area}.yml" for area in AREAS]
    files: List[Path] = [p for p in known if p.exists()]
    files += sorted(p for p in directory.glob("*.yml") if p not in known)
    if with_faq:
        files.append(FAQ_RESPONSES)
    for path in files:
        part = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        merged["version"] = part.get("version", merged.get("version"))
        for key in _LISTS:
            merged[key] += [item for item in part.get(key) or [] if item not in merged[key]]
        for key in _MAPPINGS:
            twice = set(merged[key]) & set(part.get(key) or {})
            if twice and key != "session_config":
                raise ValueError(f"{path.name} defines {key} again: {sorted(twice)}")
            merged[key].update(part.get(key) or {})
    return merged


@lru_cache(maxsize=1)
def response_order() -> Dict[str, int]:
    """Each response's place in :func:`load_domain` (FAQ answers last)."""
    return {name: i for i, name in enumerate(load_domain(with_faq=True)["responses"])}
