from crisisgov.geo.models import Area


def test_grid_worker_sees_only_their_grid_subtree(city, make_user, actor_of):
    worker = actor_of(make_user("grid_worker", city.grid_a))
    visible = set(Area.objects.for_actor(worker, "geo.view_area").values_list("code", flat=True))
    assert visible == {city.grid_a.code, city.residential_a.code, city.building_a.code}
