"""Rasa server extensions for storage (loaded by endpoints.yml)."""
