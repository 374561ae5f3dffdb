"""The area page's counts are cached, and the outbox keeps them true after a change."""

import datetime as dt

from django.test import Client

from crisisgov.directory import services
from crisisgov.directory.idnumber import make
from crisisgov.kernel.outbox import outbox_deliver_due


def residents_shown(client: Client, area_id: int, child_code: str) -> str:
    page = client.get(f"/areas/{area_id}/").content.decode()
    row = page.split(f'data-area-code="{child_code}"', 1)[1].split("</tr>", 1)[0]
    return row.split('class="num">')[2].split("<", 1)[0]


def test_a_registration_shows_on_the_map_page_once_its_event_is_delivered(
    city, make_user, actor_of, django_capture_on_commit_callbacks
):
    client = Client()
    client.force_login(make_user("commander", city.city))
    assert residents_shown(client, city.city.id, city.district_a.code) == "0"

    worker = actor_of(make_user("grid_worker", city.grid_a))
    with django_capture_on_commit_callbacks():
        services.person_create(
            actor=worker,
            name="马强",
            national_id=make("420102", dt.date(1988, 8, 8), 9),
            home_building_id=city.building_a.id,
        )
    # Until the outbox delivers the event the cached figure stands...
    assert residents_shown(client, city.city.id, city.district_a.code) == "0"
    # ...and the dashboard's handler retires it on delivery.
    assert outbox_deliver_due() == 1
    assert residents_shown(client, city.city.id, city.district_a.code) == "1"
