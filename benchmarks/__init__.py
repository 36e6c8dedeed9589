"""Measurements (`make bench`): NLU, REST and load latency, the safety layers, training time."""
