"""The `under` lookup: a subtree is the half-open range of digit strings [p, p+1)."""

import pytest

from crisisgov.kernel.scoping import prefix_upper_bound


@pytest.mark.parametrize(
    ("prefix", "bound"),
    [("990102", "990103"), ("990109", "990110"), ("0999", "1000"), ("99", None), ("4", "5")],
)
def test_upper_bound(prefix, bound):
    assert prefix_upper_bound(prefix) == bound


def test_under_matches_exactly_the_subtree(db):
    from django.apps import apps

    Area = apps.get_model("geo", "Area")
    for code, path, level in [
        ("990000000000", "99", 1),
        ("990100000000", "9901", 2),
        ("990102000000", "990102", 3),
        ("990109000000", "990109", 3),
        ("990110000000", "990110", 3),
    ]:
        Area.objects.create(code=code, path=path, level=level, name_zh=path, name_en=path)

    def under(prefix):
        return sorted(Area.objects.filter(path__under=prefix).values_list("path", flat=True))

    assert under("990109") == ["990109"]
    assert under("9901") == ["9901", "990102", "990109", "990110"]
    assert under("99") == ["99", "9901", "990102", "990109", "990110"]
    with pytest.raises(ValueError):
        under("99%")
