import pytest
from django.core.exceptions import ValidationError

from grids.models import OrgUnit, UnitKind


def test_path_follows_the_tree_and_moves_with_it(district):
    assert district.grid_a.path == f"{district.community_a.path}{district.grid_a.pk}/"
    district.community_a.parent = district.street_b
    district.community_a.save()
    district.grid_a.refresh_from_db()
    assert district.grid_a.path.startswith(district.street_b.path)
    assert district.grid_a.is_within(district.street_b)


def test_tree_shape_and_boundaries_are_validated(district):
    bad = OrgUnit(code="X", name="错挂网格", kind=UnitKind.GRID, parent=district.street_a)
    with pytest.raises(ValidationError, match="parent"):
        bad.full_clean()
    bad = OrgUnit(
        code="Y",
        name="坏边界",
        kind=UnitKind.COMMUNITY,
        parent=district.street_a,
        boundary={"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]},
    )
    with pytest.raises(ValidationError, match="boundary"):
        bad.full_clean()
