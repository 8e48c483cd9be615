import pytest

from grids.locate import locate


def test_point_inside_a_grid_finds_grid_community_and_street(district):
    found = locate(lat=39.905, lng=116.305)
    assert (found.grid, found.community, found.street, found.method) == (
        district.grid_a,
        district.community_a,
        district.street_a,
        "point",
    )


def test_point_on_the_shared_edge_of_two_grids_gets_the_lower_code(district):
    # lng 116.31 is the border between grid A1 (S-A-1-01) and grid A2 (S-A-1-02).
    assert locate(lat=39.905, lng=116.31).grid == district.grid_a
    assert locate(lat=39.905, lng=116.3100001).grid == district.grid_a2


def test_point_on_the_outer_edge_and_corner_counts_as_inside(district):
    assert locate(lat=39.905, lng=116.30).grid == district.grid_a
    assert locate(lat=39.90, lng=116.30).grid == district.grid_a


def test_point_outside_every_grid_is_not_located(district):
    assert locate(lat=39.95, lng=116.40) is None
    assert locate(lat=39.8999, lng=116.305) is None


def test_address_alias_is_the_fallback(district):
    found = locate(lat=39.95, lng=116.40, address="幸福里小区5号楼2单元")
    assert (found.community, found.grid, found.method) == (district.community_a, district.grid_a, "alias")
    found = locate(address="和平路88号底商")
    assert found.community == district.community_b and found.street == district.street_b
    assert locate(address="火星基地") is None


def test_edited_boundary_is_seen_once_the_index_rechecks(district, monkeypatch):
    assert locate(lat=39.905, lng=116.335) is None
    district.grid_b.boundary = {
        "type": "Polygon",
        "coordinates": [[[116.32, 39.90], [116.34, 39.90], [116.34, 39.91], [116.32, 39.91], [116.32, 39.90]]],
    }
    district.grid_b.save()
    monkeypatch.setattr("grids.locate._GridIndex.STALE_AFTER", 0.0)  # as if the seconds had passed
    assert locate(lat=39.905, lng=116.335).grid == district.grid_b


def test_invalid_coordinates_are_an_error(district):
    with pytest.raises(ValueError, match="latitude"):
        locate(lat=95, lng=116.3)
