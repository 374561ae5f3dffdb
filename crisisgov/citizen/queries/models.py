"""Citizen queries: models."""
