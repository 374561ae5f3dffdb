"""Citizen services: models of the app's root (health status lives here; each part has its
own sub-app: queries, reservations, approvals, bulletins)."""

from __future__ import annotations

from django.db import models


class PublishedDocument(models.Model):
    """A read model that is the same for everyone (risk levels, pharmacy stock), published as
    JSON when it changes and served as is: cacheable, never computed per request. The surge
    edge reads the same rows (or their Redis copy)."""

    name = models.SlugField(max_length=60, unique=True)
    body = models.TextField()  # compact JSON, UTF-8
    etag = models.CharField(max_length=32)
    published_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name
