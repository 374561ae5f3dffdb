"""Citizen queries: JSON API."""

from ninja import Router

router = Router()
