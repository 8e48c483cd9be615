"""The demo district's roads and house-number ranges (data and their seeding).

Each community's own road (the one its road alias names) lies wholly in it; one
north–south road per street crosses all of its communities, each a hundred numbers,
odd numbers on the west side (the first grid) and even on the east (the last), as
Chinese roads are numbered.
"""

from __future__ import annotations

from grids.models import AddressAlias, OrgUnit, Parity, RoadSegment, UnitKind

# street code → the road that crosses its communities from south to north.
CROSS_ROADS = {
    "S01": "滨江大道",
    "S02": "东华路",
    "S03": "杏林路",
    "S04": "石龙大街",
    "S05": "创业大街",
}
OWN_ROAD_RANGE = (1, 299)
CROSS_ROAD_SPAN = 100


def seed_places(units: dict[str, OrgUnit]) -> int:
    """Create the road segments once (idempotent); returns how many exist."""
    from workorders.demo import data

    if RoadSegment.objects.exists():
        return RoadSegment.objects.count()
    rows: list[RoadSegment] = []
    for scode, _sname, communities in data.STREETS:
        for ci, (_cname, _estates, road_alias) in enumerate(communities):
            community = units[f"{scode}-{ci + 1:02d}"]
            grids = list(OrgUnit.objects.filter(parent=community, kind=UnitKind.GRID).order_by("code"))
            alias = AddressAlias.objects.filter(alias=road_alias).select_related("grid").first()
            road = road_alias.rstrip("0123456789号")
            start, end = OWN_ROAD_RANGE
            rows.append(
                RoadSegment(road=road, community=community, grid=alias.grid if alias else None, start=start, end=end)
            )
            base = ci * CROSS_ROAD_SPAN
            for parity, grid in ((Parity.ODD, grids[0]), (Parity.EVEN, grids[-1])):
                rows.append(
                    RoadSegment(
                        road=CROSS_ROADS[scode],
                        community=community,
                        grid=grid,
                        start=base + 1,
                        end=base + CROSS_ROAD_SPAN,
                        parity=parity,
                    )
                )
    RoadSegment.objects.bulk_create(rows)
    return len(rows)
