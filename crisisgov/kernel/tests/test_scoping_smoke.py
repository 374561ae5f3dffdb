from django.apps import apps


def test_grid_worker_sees_only_their_grid_subtree(city, make_user, actor_of):
    # Through the registry: the kernel imports no domain app, not even in its tests.
    area_model = apps.get_model("geo", "Area")
    worker = actor_of(make_user("grid_worker", city.grid_a))
    visible = set(
        area_model.objects.for_actor(worker, "geo.view_area").values_list("code", flat=True)
    )
    assert visible == {city.grid_a.code, city.residential_a.code, city.building_a.code}
