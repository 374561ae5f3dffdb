"""Scarce-supply reservations: JSON API."""

from ninja import Router

router = Router()
