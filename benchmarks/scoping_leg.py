"""One database leg of bench_scoping, run in its own process so settings read its environment."""

from __future__ import annotations

import json
import statistics
import sys
import time

import django


def timed(query, repeats: int) -> dict:  # type: ignore[no-untyped-def]
    samples = []
    rows = 0
    for _ in range(repeats):
        started = time.perf_counter()
        rows = len(list(query()))
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {
        "p50": statistics.median(samples),
        "p99": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
        "rows": rows,
    }


def main(size: str, seed: str, repeats: int) -> None:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crisisgov.config.settings")
    django.setup()
    from django.core.management import call_command

    from crisisgov.directory.facade import actor_for_user
    from crisisgov.directory.models import Person, RoleAssignment
    from crisisgov.geo.models import Area

    call_command("migrate", verbosity=0)
    if not Area.objects.filter(level=2).exists():
        print(f"generating the {size} city (once; kept for later runs)...", file=sys.stderr)
        call_command("city", "generate", "--seed", seed, "--size", size, stdout=sys.stderr)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    district = Area.objects.filter(level=3).order_by("path")[1]  # not the first: no id head start
    grid = Area.objects.filter(level=6, path__under=district.path).order_by("path")[7]
    actors = {}
    for role, area in (("grid_worker", grid), ("department_officer", district)):
        user, _ = users.get_or_create(username=f"bench-{role}")
        RoleAssignment.objects.filter(user=user).delete()
        RoleAssignment.objects.create(user=user, role=role, area=area, area_path=area.path)
        actors[role] = actor_for_user(user)

    page = 50
    people = Person.objects.only("id", "area_path", "sex", "date_of_birth")
    cases = []
    for name, actor, offset in (
        ("grid worker, first page", actors["grid_worker"], 0),
        ("district officer, first page", actors["department_officer"], 0),
        ("district officer, page 100", actors["department_officer"], 99 * page),
    ):
        # The resident list's own order (see directory.selectors.person_list).
        scoped = people.for_actor(actor, "directory.view_person").order_by("area_path", "id")
        unscoped = people.order_by("area_path", "id")
        # Warm both before timing: the first query pays for opening the file and caches.
        list(scoped[offset : offset + page])
        list(unscoped[offset : offset + page])
        cases.append(
            {
                "name": name,
                "baseline": timed(lambda q=unscoped, o=offset: q[o : o + page], repeats),
                "scoped": timed(lambda q=scoped, o=offset: q[o : o + page], repeats),
            }
        )
    print(json.dumps({"residents": Person.objects.count(), "cases": cases}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
