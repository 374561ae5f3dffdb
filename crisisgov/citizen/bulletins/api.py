"""Bulletins: JSON API."""

from ninja import Router

router = Router()
