"""What other apps may use of geo."""

from crisisgov.geo.levels import LEVEL_LABELS, PATH_DIGITS, Level
from crisisgov.geo.permissions import GeoPermission

__all__ = ["LEVEL_LABELS", "PATH_DIGITS", "GeoPermission", "Level"]
