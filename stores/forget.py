"""The "forget me" marker shared by the action server and the tracker store.

``action_delete_reflections`` sets this slot to True; the tracker store then drops
the conversation's stored history instead of appending to it.
"""

FORGET_SLOT = "forget_me"
