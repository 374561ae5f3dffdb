"""`crisisgov geo import` and `crisisgov geo export` at the console."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crisisgov.geo.models import Area
from crisisgov.geo.tests.factories import BOW_TIE, collection, feature


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("geo", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_writes_the_subtree_and_import_reads_it_back(city, tmp_path):
    file = tmp_path / "grid.geojson"
    _, err = run("export", "420102001001001", "--output", str(file), "--max-level", "7")
    assert err == f"wrote 2 areas to {file}\n"
    exported = json.loads(file.read_text(encoding="utf-8"))
    assert [f["properties"]["code"] for f in exported["features"]] == [
        "420102001001001",
        "420102001001001001",
    ]
    assert exported["features"][0]["properties"]["name_zh"] == "江岸一网格"

    out, _ = run("import", str(file))
    assert out == "created 0, updated 0, unchanged 2\n"


def test_import_creates_and_counts(city, tmp_path):
    file = tmp_path / "new.geojson"
    file.write_text(json.dumps(collection(feature("420102001001002", 6, "420102001001"))))
    out, _ = run("import", str(file))
    assert out == "created 1, updated 0, unchanged 0\n"
    assert Area.objects.get(code="420102001001002").parent == city.community_a


def test_import_names_each_problem_and_fails(city, tmp_path):
    file = tmp_path / "bad.geojson"
    bad = feature("420102001001002", 6, "420102001001") | {"geometry": BOW_TIE}
    file.write_text(json.dumps(collection(bad, feature("420102001002001", 6, "420102001002"))))
    count = Area.objects.count()
    err = StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("geo", "import", str(file), stdout=StringIO(), stderr=err)
    assert str(caught.value) == "2 problem(s) in the file; nothing was imported"
    assert err.getvalue().splitlines() == [
        "features.0.geometry: feature 0 (420102001001002): the outline is not a valid polygon:"
        " Self-intersection[114.025 30.025]",
        "features.1.properties.parent_code: feature 1 (420102001002001): no area has this"
        " parent code",
    ]
    assert Area.objects.count() == count


def test_a_file_that_is_not_json_is_refused(city, tmp_path):
    file = tmp_path / "broken.geojson"
    file.write_text("{")
    with pytest.raises(CommandError, match="cannot read"):
        run("import", str(file))


def test_exporting_an_unknown_code_fails(city):
    with pytest.raises(CommandError) as caught:
        run("export", "420199000000")
    assert str(caught.value) == "no area has this code: 420199000000"
