"""The command-centre pages through Django's test client: login, scoping, counts, map JSON and
the language switch. Directory rows are created through the app registry, so the dashboard
package imports no other app's models (the import-linter contract)."""

from __future__ import annotations

import itertools
import re
from datetime import date

import pytest
from django.apps import apps
from django.contrib.staticfiles import finders
from django.urls import reverse

from crisisgov.kernel.fields import refresh_blind_indexes

_id_numbers = itertools.count(1)


def add_households(building, n: int) -> list:
    household = apps.get_model("directory", "Household")
    return [
        household.objects.create(building=building, area_path=building.path, number=f"1-{i:03}")
        for i in range(1, n + 1)
    ]


def add_residents(building, n: int) -> None:
    person = apps.get_model("directory", "Person")
    for _ in range(n):
        p = person(
            name="测试居民",
            national_id=f"42010219900101{next(_id_numbers):04}",
            date_of_birth=date(1990, 1, 1),
            sex="F",
            home_building=building,
            area_path=building.path,
        )
        refresh_blind_indexes(p)
        p.save()


def add_organisation(area, name: str) -> None:
    organisation = apps.get_model("directory", "Organisation")
    organisation.objects.create(
        kind="hospital", name_zh=name, name_en=name, area=area, area_path=area.path
    )


@pytest.fixture
def populated(city):
    """District A: 3 residents, 2 households, 2 organisations; district B: 1, 1, 0."""
    add_residents(city.building_a, 3)
    add_households(city.building_a, 2)
    add_organisation(city.district_a, "江岸区卫健局")
    add_organisation(city.community_a, "江岸社区卫生服务站")
    add_residents(city.building_b, 1)
    add_households(city.building_b, 1)
    return city


def login(client, user) -> None:
    assert client.login(username=user.username, password="correct-horse-42")


def table_rows(html: str) -> list[list[str]]:
    """The children table as text cells, one list per row."""
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, flags=re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).strip() for c in cells])
    return rows


def test_anonymous_is_sent_to_login(client, city):
    for url in [reverse("home"), reverse("area", args=[city.city.pk])]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={url}"


def test_anonymous_map_json_is_401_not_a_redirect(client, city):
    response = client.get(reverse("area-map", args=[city.city.pk]))
    assert response.status_code == 401
    assert response.json()["detail"][0]["code"] == "not_authenticated"


def test_login_page_renders_and_logs_in(client, city, make_user):
    user = make_user("grid_worker", city.grid_a)
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert 'name="username"' in page.content.decode()
    response = client.post(
        reverse("login"), {"username": user.username, "password": "correct-horse-42"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_logout_is_a_post_and_ends_the_session(client, city, make_user):
    login(client, make_user("grid_worker", city.grid_a))
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302  # back to the login page


def test_home_of_a_single_area_opens_that_area(client, city, make_user):
    login(client, make_user("grid_worker", city.grid_a))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("area", args=[city.grid_a.pk])


def test_home_lists_several_separate_areas(client, city, make_user):
    user = make_user("analyst", city.grid_a)
    role_assignment = apps.get_model("directory", "RoleAssignment")
    role_assignment.objects.create(
        user=user, role="analyst", area=city.grid_b, area_path=city.grid_b.path
    )
    login(client, user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    names = [row[0] for row in table_rows(response.content.decode())]
    assert names == ["江岸一网格", "江汉一网格"]
    collection = client.get(reverse("home-map")).json()
    assert [f["properties"]["code"] for f in collection["features"]] == [
        city.grid_a.code,
        city.grid_b.code,
    ]


def test_commander_sees_the_districts_with_their_counts(client, populated, make_user):
    city = populated
    login(client, make_user("commander", city.city))
    response = client.get(reverse("area", args=[city.city.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>武汉市</h1>" in html
    # name, level, population, residents, households, organisations
    assert table_rows(html) == [
        ["江岸区", "区/县", "200", "3", "2", "2"],
        ["江汉区", "区/县", "200", "1", "1", "0"],
    ]
    figures = re.findall(r"<dd>(\d+)</dd>", html)
    assert figures == ["400", "4", "3", "2"]  # the city: population, residents, ...


def test_grid_worker_sees_their_grid_and_its_residential_areas(client, populated, make_user):
    city = populated
    login(client, make_user("grid_worker", city.grid_a))
    response = client.get(reverse("area", args=[city.grid_a.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert table_rows(html) == [["江岸小区", "小区", "200", "3", "2", "0"]]
    assert "江汉" not in html
    # The breadcrumb starts at the grid: the worker sees none of the areas above it.
    crumbs = re.findall(r'<nav class="breadcrumb".*?</nav>', html, flags=re.S)[0]
    assert re.sub(r"<[^>]+>|\s", "", crumbs) == "江岸一网格"


def test_another_districts_area_is_404_like_a_missing_one(client, city, make_user):
    login(client, make_user("grid_worker", city.grid_a))
    missing_page = client.get(reverse("area", args=[999_999]))
    assert missing_page.status_code == 404
    missing = client.get(reverse("area-map", args=[999_999]))
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["code"] == "not_found"
    for area in [city.district_b, city.grid_b, city.building_b, city.district_a, city.city]:
        response = client.get(reverse("area", args=[area.pk]))
        assert response.status_code == 404, area
        assert "超出您的管辖范围" in response.content.decode()
        assert "江汉" not in response.content.decode()
        forbidden = client.get(reverse("area-map", args=[area.pk]))
        assert forbidden.status_code == 404
        assert forbidden.json() == missing.json()  # nothing tells the two apart
    # An id too long for the database is no page either, not a database error.
    assert client.get("/areas/99999999999999999999999/").status_code == 404
    assert client.get("/areas/999999999999999999/map.json").status_code == 404


def test_map_json_holds_exactly_the_children_with_counts(client, populated, make_user):
    city = populated
    login(client, make_user("commander", city.city))
    collection = client.get(reverse("area-map", args=[city.city.pk])).json()
    assert collection["type"] == "FeatureCollection"
    properties = [f["properties"] for f in collection["features"]]
    assert [
        (
            p["code"],
            p["name"],
            p["population"],
            p["residents"],
            p["households"],
            p["organisations"],
            p["url"],
        )
        for p in properties
    ] == [
        (city.district_a.code, "江岸区", 200, 3, 2, 2, f"/areas/{city.district_a.pk}/"),
        (city.district_b.code, "江汉区", 200, 1, 1, 0, f"/areas/{city.district_b.pk}/"),
    ]
    assert collection["features"][0]["geometry"]["type"] == "Polygon"


def test_map_json_of_a_building_is_its_own_outline(client, populated, make_user):
    city = populated
    login(client, make_user("grid_worker", city.grid_a))
    collection = client.get(reverse("area-map", args=[city.building_a.pk])).json()
    assert [f["properties"]["code"] for f in collection["features"]] == [city.building_a.code]
    assert collection["features"][0]["properties"]["url"] is None  # nothing to drill into
    assert collection["features"][0]["properties"]["residents"] == 3
    page = client.get(reverse("area", args=[city.building_a.pk])).content.decode()
    assert "<tbody>" not in page  # a leaf has no table of children


def test_language_switch_changes_the_page(client, city, make_user):
    login(client, make_user("grid_worker", city.grid_a))
    url = reverse("area", args=[city.grid_a.pk])
    chinese = client.get(url).content.decode()
    assert "<h1>江岸一网格</h1>" in chinese
    assert "下辖区域" in chinese
    assert "网格员" in chinese  # the role in the header
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302
    assert response["Location"] == url
    english = client.get(url).content.decode()
    assert '<html lang="en">' in english
    assert "<h1>江岸 Grid 1</h1>" in english
    assert "Areas within" in english
    assert "grid worker" in english
    assert table_rows(english) == [["江岸 Estate", "residential area", "200", "0", "0", "0"]]
    collection = client.get(reverse("area-map", args=[city.grid_a.pk])).json()
    assert collection["features"][0]["properties"]["name"] == "江岸 Estate"


def test_pages_never_consult_is_superuser(client, city, make_user):
    """A superuser without a role assignment sees no area: scope comes from roles only."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", password="correct-horse-42")
    assert client.login(username="root", password="correct-horse-42")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    assert "<tbody>" not in response.content.decode()
    assert client.get(reverse("area", args=[city.city.pk])).status_code == 404


def test_vendored_scripts_are_served_by_staticfiles():
    """ECharts and htmx ship with the platform (no CDN); the finders must reach them."""
    for name in ["vendor/echarts/echarts.min.js", "vendor/htmx/htmx.min.js"]:
        assert finders.find(name), (
            f"{name} is not found: settings.STATICFILES_DIRS must list crisisgov/static"
        )
