"""The domain's responses, read from the domain as a plain dict (as Rasa sends it)."""

from typing import Any, Dict


def response_text(domain: Dict[str, Any], name: str) -> str:
    """Return the text of the first variation of response ``name``."""
    variations = (domain.get("responses") or {}).get(name) or [{}]
    return str(variations[0].get("text", ""))
