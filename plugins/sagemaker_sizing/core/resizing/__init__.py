"""Periodic re-sizing: a model's sizing history and drift between sizings."""
