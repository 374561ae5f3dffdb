"""Bulletins: models."""
