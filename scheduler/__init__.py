"""The check-in scheduler: its own process, started by ``scripts/serve.py run``."""
