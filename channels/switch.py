"""A messaging channel is on when it is configured, and off (not failing) when it is not.

credentials.yml lists every channel without a value; each channel's settings come from
its section if that gives any, else from the environment (``CHANNEL_VARIABLES`` in
pause/settings.py). A channel with neither stays off: it serves no route, and one log
line says which variables would switch it on. So bare ``rasa run`` starts with only the
channels that need nothing (REST, socket.io, plain text).
"""

import logging
from typing import Any, Dict, Optional, Text

from sanic import Blueprint

from pause.settings import Settings, load_settings

logger = logging.getLogger(__name__)


def configured(
    channel: str, credentials: Optional[Dict[Text, Any]], settings: Optional[Settings] = None
) -> Optional[Dict[str, str]]:
    """``channel``'s settings (its section over the environment's), or None when it is off.

    Empty values in the section count as unset.
    """
    given = {k: str(v) for k, v in (credentials or {}).items() if v not in (None, "")}
    settings = settings or load_settings()
    missing = settings.missing_channel_variables(channel)
    if not given and missing:
        logger.info("%s is off: set %s to switch it on.", channel, ", ".join(missing))
        return None
    return {**settings.channel_credentials(channel), **given}


def off_blueprint(channel: str) -> Blueprint:
    """The blueprint of a channel that is off: no routes."""
    return Blueprint(f"pause_{channel}_off", __name__)
