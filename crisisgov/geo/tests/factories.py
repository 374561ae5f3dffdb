"""Builders of outlines and import features for the geo tests."""

from __future__ import annotations

from typing import Any


def rectangle(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> dict[str, Any]:
    ring = [
        [min_lon, min_lat],
        [max_lon, min_lat],
        [max_lon, max_lat],
        [min_lon, max_lat],
        [min_lon, min_lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


# A bow tie: the ring crosses itself at (114.025, 30.025).
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [
        [[114.0, 30.0], [114.05, 30.05], [114.05, 30.0], [114.0, 30.05], [114.0, 30.0]]
    ],
}


def feature(
    code: str,
    level: int | str,
    parent_code: str | None,
    *,
    box: tuple[float, float, float, float] | None = (114.0, 30.0, 114.05, 30.05),
    name_zh: str | None = None,
    name_en: str | None = None,
    population: int = 10,
    **extra: Any,
) -> dict[str, Any]:
    """An import feature; `extra` adds (or, with None, removes) properties."""
    properties: dict[str, Any] = {
        "code": code,
        "level": level,
        "parent_code": parent_code,
        "name_zh": name_zh or f"区域{code[-3:]}",
        "name_en": name_en or f"Area {code[-3:]}",
        "population": population,
    }
    for name, value in extra.items():
        if value is None:
            properties.pop(name, None)
        else:
            properties[name] = value
    return {
        "type": "Feature",
        "geometry": rectangle(*box) if box else None,
        "properties": properties,
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}
