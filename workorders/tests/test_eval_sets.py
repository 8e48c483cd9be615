"""The held-out evaluation sets in bench/eval only use names that exist in the demo data.

The sets are read by the benchmarks alone; this test checks their shape and labels, never
what any classifier or resolver answers on them.
"""

import json
from collections import Counter
from pathlib import Path

import pytest

from workorders.demo import data

EVAL = Path(__file__).resolve().parents[2] / "bench" / "eval"
CHANNELS = {"hotline", "qr", "web", "patrol"}
MAJOR_OF = {minor[0]: major for _, major, minors in data.CATEGORIES for minor in minors}
STREET_OF = {community: street for _, street, communities in data.STREETS for community, _, _ in communities}


def _grid_names() -> dict[str, set[str]]:
    # Mirrors seed_units in workorders/demo/seed.py: 3 grids where (street + community index)
    # is even, else 2, named "<community>N号网格".
    names = {}
    for si, (_, _, communities) in enumerate(data.STREETS):
        for ci, (community, _, _) in enumerate(communities):
            count = 3 if (si + ci) % 2 == 0 else 2
            names[community] = {f"{community}{i}号网格" for i in range(1, count + 1)}
    return names


def _load(name: str) -> list[dict]:
    rows = []
    for number, line in enumerate((EVAL / name).read_text(encoding="utf-8").splitlines(), start=1):
        assert line.strip(), f"{name}:{number} is blank"
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            pytest.fail(f"{name}:{number} is not JSON: {exc}")
    return rows


def test_complaints_are_labelled_with_demo_categories():
    rows = _load("complaints.jsonl")
    assert len(rows) >= 400
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids), "duplicate ids"
    assert len({row["text"] for row in rows}) == len(rows), "duplicate texts"
    for row in rows:
        assert set(row) <= {"id", "text", "title", "channel", "category", "major"}, row["id"]
        assert row["id"].startswith("c"), row["id"]
        assert row["category"] in MAJOR_OF, f"{row['id']}: unknown minor category {row['category']}"
        assert row["major"] == MAJOR_OF[row["category"]], f"{row['id']}: wrong major"
        assert row["channel"] in CHANNELS, f"{row['id']}: unknown channel"
        assert 10 <= len(row["text"]) <= 200, f"{row['id']}: text length {len(row['text'])}"
        assert isinstance(row.get("title", ""), str)
    counts = Counter(row["category"] for row in rows)
    thin = {name: counts[name] for name in MAJOR_OF if counts[name] < 4}
    assert not thin, f"categories with fewer than 4 items: {thin}"


def test_addresses_are_labelled_with_demo_places():
    rows = _load("addresses.jsonl")
    grids = _grid_names()
    assert len(rows) >= 150
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids), "duplicate ids"
    assert len({row["text"] for row in rows}) == len(rows), "duplicate texts"
    streets = set(STREET_OF.values())
    for row in rows:
        assert set(row) == {"id", "text", "street", "community", "grid", "outside"}, row["id"]
        assert row["id"].startswith("a"), row["id"]
        assert row["text"].strip(), row["id"]
        if row["outside"] is True:
            assert row["street"] is row["community"] is row["grid"] is None, row["id"]
            continue
        assert row["outside"] is False, row["id"]
        assert row["street"] in streets, f"{row['id']}: unknown street {row['street']}"
        if row["community"] is None:
            assert row["grid"] is None, row["id"]
            continue
        assert STREET_OF.get(row["community"]) == row["street"], f"{row['id']}: community/street mismatch"
        if row["grid"] is not None:
            assert row["grid"] in grids[row["community"]], f"{row['id']}: unknown grid {row['grid']}"
    assert sum(row["outside"] for row in rows) >= 30


# --- set B (bench/eval/complaints_b.jsonl, addresses_b.jsonl; see the README's "Set B") ---
# Checked against the seeded demo database, so a label must be a name that is really there
# (an active minor category under its major, a community under its street, a grid under its
# community), and the sizes are the ones the README states.
SET_B_COMPLAINTS = 455
SET_B_ADDRESSES = 185
SET_B_OUTSIDE = 42
SET_B_WITH_COMMUNITY = 140
SET_B_WITH_GRID = 119


@pytest.fixture
def demo_names(db):
    from grids.models import OrgUnit, UnitKind
    from workorders.demo.seed import seed_categories, seed_units
    from workorders.models import Category

    seed_categories(seed_units())
    minors = Category.objects.filter(is_active=True, parent__isnull=False, parent__is_active=True)
    units = OrgUnit.objects.filter(is_active=True).select_related("parent")
    return {
        "major_of": {c.name: c.parent.name for c in minors.select_related("parent")},
        "streets": set(units.filter(kind=UnitKind.STREET).values_list("name", flat=True)),
        "street_of": {u.name: u.parent.name for u in units.filter(kind=UnitKind.COMMUNITY)},
        "community_of": {u.name: u.parent.name for u in units.filter(kind=UnitKind.GRID)},
    }


def _ids_and_texts_unique(rows: list[dict], prefix: str) -> None:
    ids = [row["id"] for row in rows]
    assert len(set(ids)) == len(ids), "duplicate ids"
    assert all(i.startswith(prefix) for i in ids)
    assert len({row["text"] for row in rows}) == len(rows), "duplicate texts"


def test_set_b_complaints_are_active_demo_categories(demo_names):
    from workorders.choices import Channel

    rows = _load("complaints_b.jsonl")
    assert len(rows) == SET_B_COMPLAINTS
    _ids_and_texts_unique(rows, "b-c")
    major_of = demo_names["major_of"]
    assert len(major_of) == 65
    for row in rows:
        assert set(row) == {"id", "text", "title", "channel", "category", "major"}, row["id"]
        assert row["category"] in major_of, f"{row['id']}: not an active minor category"
        assert row["major"] == major_of[row["category"]], f"{row['id']}: wrong major"
        assert row["channel"] in Channel.values, f"{row['id']}: unknown channel"
        assert row["text"].strip() and isinstance(row["title"], str), row["id"]
    counts = Counter(row["category"] for row in rows)
    thin = {name: counts[name] for name in major_of if counts[name] < 5}
    assert not thin, f"categories with fewer than 5 items: {thin}"


def test_set_b_addresses_are_demo_streets_communities_and_grids(demo_names):
    rows = _load("addresses_b.jsonl")
    assert len(rows) == SET_B_ADDRESSES
    _ids_and_texts_unique(rows, "b-a")
    for row in rows:
        assert set(row) == {"id", "text", "street", "community", "grid", "outside"}, row["id"]
        if row["outside"] is True:
            assert row["street"] is row["community"] is row["grid"] is None, row["id"]
            continue
        assert row["outside"] is False, row["id"]
        assert row["street"] in demo_names["streets"], row["id"]
        if row["community"] is not None:
            assert demo_names["street_of"].get(row["community"]) == row["street"], row["id"]
        if row["grid"] is not None:
            assert demo_names["community_of"].get(row["grid"]) == row["community"], row["id"]
    assert sum(row["outside"] for row in rows) == SET_B_OUTSIDE
    assert sum(row["community"] is not None for row in rows) == SET_B_WITH_COMMUNITY
    assert sum(row["grid"] is not None for row in rows) == SET_B_WITH_GRID
