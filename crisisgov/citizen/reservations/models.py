"""Scarce-supply reservations: models."""
