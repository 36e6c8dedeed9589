"""The FAQ topics: follow-up links and the titles the domain gives them.

Titles are never written here: every topic already has a button title in the
domain (the answers link to each other), so suggestions reuse those.
"""

import json
import re
from typing import Any, Dict, Iterable, Optional

from pause.domain import response_order

#: "tell me more" and "why?" after an answer lead to a neighbouring topic.
FOLLOW_UPS: Dict[str, Dict[str, str]] = {
    "what_is_avoidant_attachment": {"more": "inside_view", "why": "how_it_develops"},
    "how_do_i_know": {"more": "relationship_patterns", "why": "how_it_develops"},
    "nervous_system": {"more": "deactivation", "why": "how_it_develops"},
    "deactivation": {"more": "deactivating_strategies", "why": "nervous_system"},
    "deactivating_strategies": {"more": "inside_view", "why": "deactivation"},
    "autonomy_threat": {"more": "triggers", "why": "how_it_develops"},
    "how_it_develops": {"more": "not_a_character_flaw", "why": "nervous_system"},
    "not_a_character_flaw": {"more": "can_it_change", "why": "how_it_develops"},
    "inside_view": {"more": "why_pull_away_when_good", "why": "deactivation"},
    "why_pull_away_when_good": {"more": "triggers", "why": "nervous_system"},
    "triggers": {"more": "autonomy_threat", "why": "how_it_develops"},
    "dismissive_vs_fearful": {"more": "fearful_avoidant", "why": "how_it_develops"},
    "dismissive_avoidant": {"more": "dismissive_vs_fearful", "why": "how_it_develops"},
    "fearful_avoidant": {"more": "dismissive_vs_fearful", "why": "how_it_develops"},
    "do_avoidants_love": {"more": "inside_view", "why": "deactivation"},
    "relationship_patterns": {"more": "anxious_avoidant_cycle", "why": "triggers"},
    "anxious_avoidant_cycle": {"more": "partner_perspective", "why": "nervous_system"},
    "cost_to_self": {"more": "what_helps", "why": "deactivation"},
    "what_helps": {"more": "can_it_change", "why": "nervous_system"},
    "can_it_change": {"more": "earned_secure_attachment", "why": "what_helps"},
    "earned_secure_attachment": {"more": "what_helps", "why": "can_it_change"},
    "introvert_vs_avoidant": {"more": "how_do_i_know", "why": "what_is_avoidant_attachment"},
    "partner_perspective": {"more": "anxious_avoidant_cycle", "why": "why_pull_away_when_good"},
}
#: After a described moment, "tell me more" / "why?" explain the inside view.
MOMENT_FOLLOW_UP = "inside_view"

_TOPIC_PAYLOAD = re.compile(r"^/faq(\{.*\})$")


def faq_payload(topic: str) -> str:
    """Return the button payload that asks for ``topic``."""
    return "/faq" + json.dumps({"topic": topic})


def topic_from_payload(payload: str) -> Optional[str]:
    """Return the topic of a ``/faq{"topic": ...}`` payload, or None."""
    match = _TOPIC_PAYLOAD.match(payload.strip())
    if not match:
        return None
    try:
        topic = json.loads(match.group(1)).get("topic")
    except (ValueError, AttributeError):
        return None
    return topic if isinstance(topic, str) else None


def _buttons(responses: Dict[str, Any]) -> Iterable[Dict[str, Any]]:
    for variations in responses.values():
        for variation in variations or []:
            yield from variation.get("buttons") or []


def button_titles(domain: Dict[str, Any]) -> Dict[str, str]:
    """Map each button payload in the domain's responses to its first title.

    "First" in the order of the domain's files (``pause.domain.AREAS``), not of the merged
    domain Rasa sends, whose order follows the folder listing.

    Args:
        domain: The domain as the action server receives it.

    Returns:
        ``{payload: title}``; FAQ payloads are normalised with :func:`faq_payload`.

    """
    titles: Dict[str, str] = {}
    responses = domain.get("responses") or {}
    order = response_order()
    ordered = {k: responses[k] for k in sorted(responses, key=lambda k: order.get(k, len(order)))}
    for button in _buttons(ordered):
        # Payloads are written with doubled braces in the domain so that Rasa's
        # template interpolation leaves them alone.
        payload = str(button.get("payload", "")).replace("{{", "{").replace("}}", "}")
        title = button.get("title")
        topic = topic_from_payload(payload)
        key = faq_payload(topic) if topic else payload
        if title and key not in titles:
            titles[key] = str(title)
    return titles

