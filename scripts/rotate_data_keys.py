"""Re-encrypt every stored answer and event with the first of ``PAUSE_DATA_KEYS``.

    PAUSE_DATA_KEYS=<new>,<old> python -m scripts.rotate_data_keys

Run it after restarting the servers with the new key first and the old one after it
(both are needed to read, the first one writes; the servers must have started once with
this version, which migrates the stores). When it is done, the old key can be
dropped from ``PAUSE_DATA_KEYS``. The stores are those of REFLECTIONS_DB_URL and
TRACKER_DB_URL (pause/settings.py). Safe to run again: it only re-encrypts.
"""

import sys

from pause.settings import load_settings
from pause.steps import STEPS
from stores.crypto import cipher_for
from stores.migrations import rotate_table


def main() -> int:
    """Rotate both stores; print how many rows each had re-encrypted."""
    settings = load_settings()
    cipher = cipher_for(settings)
    reflections = rotate_table(
        settings.reflections_db_url, "reflections", [*STEPS, "outcome_words"], cipher
    )
    events = rotate_table(settings.tracker_db_url, "events", ["data"], cipher)
    print(f"Re-encrypted {reflections} reflections and {events} tracker events.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
