"""The tree of administrative areas, down to buildings."""

from __future__ import annotations

from django.db import models
from django.utils.translation import get_language

from crisisgov.geo.levels import LEVEL_LABELS, Level
from crisisgov.kernel.scoping import ScopedManager


class Area(models.Model):
    """One administrative area: province ... community, grid, residential area, building.

    `path` is the materialised path (the code cut to this level's digits); the subtree of an
    area is every row whose path starts with its path. The bounding box columns let a point
    lookup narrow candidates with an index before the exact polygon test.
    """

    code = models.CharField(max_length=21, unique=True)
    path = models.CharField(max_length=21, unique=True)
    level = models.PositiveSmallIntegerField(choices=[(lv.value, LEVEL_LABELS[lv]) for lv in Level])
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    name_zh = models.CharField(max_length=100)
    name_en = models.CharField(max_length=100)
    geometry = models.JSONField(null=True, blank=True)  # GeoJSON geometry, WGS 84 lon/lat
    min_lon = models.FloatField(null=True)
    min_lat = models.FloatField(null=True)
    max_lon = models.FloatField(null=True)
    max_lat = models.FloatField(null=True)
    population = models.PositiveIntegerField(default=0)

    objects = ScopedManager()
    scope_area_path_field = "path"

    class Meta:
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "min_lon", "max_lon"], name="area_level_bbox")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def level_enum(self) -> Level:
        return Level(self.level)
