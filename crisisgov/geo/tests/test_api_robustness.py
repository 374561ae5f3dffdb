"""Whatever a client sends, the areas API answers 4xx or success, never 500, and a refused
write leaves nothing behind. Deterministic: the same seed gives the same requests."""

from __future__ import annotations

import random

from crisisgov.geo.models import Area
from crisisgov.kernel.models import AuditEntry
from tests.scoping import rows_snapshot, send

snapshot = rows_snapshot(Area, AuditEntry)
ODD_VALUES = [
    None, True, 0, -1, 2**64, 1e300, "", "x", "\x00", "\ud800", "９", [], {}, [1], {"a": 1},
    "420102001001002", "grid", 8, 3.5, "9" * 30, [[[]]],
    {"type": "Polygon", "coordinates": "x"},
    {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
    {"type": "MultiPolygon", "coordinates": [[[[0, 0]]]]},
]  # fmt: skip
BODY_FIELDS = ["code", "level", "parent_id", "name_zh", "name_en", "geometry", "population", "x"]
PROPERTIES = ["code", "level", "parent_code", "name_zh", "name_en", "population", "id", "x"]


def test_odd_bodies_never_cause_a_server_error(client, city, make_user):
    client.force_login(make_user("commander", city.city))
    rnd = random.Random(2020)
    for _ in range(200):
        before = snapshot()
        spoil = {rnd.choice(BODY_FIELDS): rnd.choice(ODD_VALUES) for _ in range(rnd.randint(1, 3))}
        kind = rnd.choice(["create", "patch", "import"])
        if kind == "create":
            body = {
                "code": "420102001001002",
                "level": 6,
                "parent_id": city.community_a.pk,
                "name_zh": "二网格",
                "name_en": "Grid 2",
            } | spoil
            response = send(client, "post", "/api/geo/areas", body)
        elif kind == "patch":
            response = send(client, "patch", f"/api/geo/areas/{city.building_a.pk}", spoil)
        else:
            properties = {
                "code": "420102001001002",
                "level": 6,
                "parent_code": "420102001001",
                "name_zh": "二网格",
                "name_en": "Grid 2",
            }
            properties[rnd.choice(PROPERTIES)] = rnd.choice(ODD_VALUES)
            item = {"type": "Feature", "geometry": rnd.choice(ODD_VALUES), "properties": properties}
            body = {"type": "FeatureCollection", "features": [item]}
            response = send(client, "post", "/api/geo/import", body)
        assert response.status_code < 500, (kind, response.content)
        if response.status_code >= 400:
            assert snapshot() == before, (kind, response.content)
