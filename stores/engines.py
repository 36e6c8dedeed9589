"""How the stores connect to their databases.

An SQLite file gets a pool of connections that stay open: SQLAlchemy 1.4 opens and closes
the file for every session (``NullPool``), and the Rasa server's tracker store and check-in
reads did so on every message (profiled: about 6% of the Rasa server's CPU under load,
README "Performance"). The pooled connections may be used by any thread, one at a time
(what SQLAlchemy 2.0 does by default). A database server's pool tests each connection
before use instead: after a restart the pooled connections are dead, and each would fail
one turn.
"""

from typing import Any, Dict

import sqlalchemy as sa


def is_sqlite_file(url: Any) -> bool:
    """Whether ``url`` (text or URL) names an SQLite database in a file."""
    parsed = sa.engine.make_url(url)
    return parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:")


def engine_options(url: Any) -> Dict[str, Any]:
    """``sqlalchemy.create_engine`` options for ``url`` (see the module docstring)."""
    if is_sqlite_file(url):
        return {"poolclass": sa.pool.QueuePool, "connect_args": {"check_same_thread": False}}
    return {"pool_pre_ping": True}
