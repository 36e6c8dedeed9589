"""Storage: Rasa server extensions and the Rasa-free parts the core repository uses.

The tracker store and the lock store are Rasa classes (loaded by endpoints.yml); encryption
(crypto.py), the check-ins table (checkins.py) and the migrations import nothing of Rasa.
"""
