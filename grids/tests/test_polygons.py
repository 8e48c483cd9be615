"""grids.polygons (plain Python, what placing an order uses) answers as shapely does:
``covers`` on boundaries, vertices, edge points, holes and random points, and the
centroid the dashboard map labels; and placing an order does not import shapely."""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from shapely.geometry import Point, shape

from grids.polygons import Index, Shape

ROOT = Path(__file__).resolve().parents[2]


def _star(rng: random.Random, cx: float, cy: float, r: float, n: int) -> list[list[float]]:
    """A simple (star-shaped) ring around (cx, cy) with n vertices, closed."""
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    pts = [[cx + r * rng.uniform(0.3, 1) * math.cos(a), cy + r * rng.uniform(0.3, 1) * math.sin(a)] for a in angles]
    return pts + [pts[0]]


def _shapes(seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(40):
        cx, cy = 116.3 + rng.uniform(-0.05, 0.05), 39.9 + rng.uniform(-0.05, 0.05)
        outer = _star(rng, cx, cy, 0.01, rng.randint(3, 12))
        hole = [[cx + dx, cy + dy] for dx, dy in ((-0.001, -0.001), (0.001, -0.001), (0.001, 0.001), (-0.001, 0.001))]
        hole.append(hole[0])
        out.append({"type": "Polygon", "coordinates": [outer]})
        out.append({"type": "Polygon", "coordinates": [outer, hole[::-1]]})
        other = _star(rng, cx + 0.03, cy, 0.005, 5)
        out.append({"type": "MultiPolygon", "coordinates": [[outer], [other]]})
    # Axis-aligned grids as the demo draws them, sharing edges.
    for i in range(3):
        x0, x1 = 116.30 + 0.01 * i, 116.31 + 0.01 * i
        out.append(
            {"type": "Polygon", "coordinates": [[[x0, 39.90], [x1, 39.90], [x1, 39.91], [x0, 39.91], [x0, 39.90]]]}
        )
    return out


def _probes(geo: dict, rng: random.Random) -> list[tuple[float, float]]:
    polys = [geo["coordinates"]] if geo["type"] == "Polygon" else geo["coordinates"]
    pts = []
    for poly in polys:
        for ring in poly:
            for (ax, ay), (bx, by) in zip(ring, ring[1:], strict=False):
                pts.append((ax, ay))  # vertices
                pts.append(((ax + bx) / 2, (ay + by) / 2))  # edge midpoints (rounded: either side)
                t = rng.random()
                pts.append((ax + t * (bx - ax), ay + t * (by - ay)))
                pts.append((ax, (ay + by) / 2))  # level with an edge's middle: ray through vertices
    minx, miny, maxx, maxy = shape(geo).bounds
    pts += [(rng.uniform(minx, maxx), rng.uniform(miny, maxy)) for _ in range(300)]
    return pts


@pytest.mark.parametrize("seed", [1, 2])
def test_covers_is_shapelys(seed):
    rng = random.Random(seed)
    checked = 0
    for geo in _shapes(seed):
        ours, theirs = Shape.from_geojson(geo), shape(geo)
        assert ours.bounds == pytest.approx(theirs.bounds, abs=0)
        for x, y in _probes(geo, rng):
            assert ours.covers(x, y) == theirs.covers(Point(x, y)), (geo, x, y)
            checked += 1
    assert checked > 20000


def test_centroid_is_shapelys():
    valid = [geo for geo in _shapes(3) if shape(geo).is_valid]  # a hole crossing its exterior is refused on save
    assert len(valid) > 80
    for geo in valid:
        cx, cy = Shape.from_geojson(geo).centroid()
        c = shape(geo).centroid
        assert (cx, cy) == pytest.approx((c.x, c.y), abs=1e-11)


def test_the_index_lists_every_covering_shape():
    a = Shape.from_geojson({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]})
    b = Shape.from_geojson({"type": "Polygon", "coordinates": [[[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]]})
    index = Index([(a, "a"), (b, "b")])
    assert index.covering(1, 0.5) == ["a", "b"]  # the shared edge
    assert index.covering(0.5, 0.5) == ["a"]
    assert index.covering(3, 3) == []


@pytest.mark.parametrize(
    "bad",
    [
        None,
        {"type": "Point", "coordinates": [1, 2]},
        {"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], ["x", 1], [1, 1], [0, 0]]]},
        {"type": "Polygon", "coordinates": [[[0, 0], [500, 0], [500, 1], [0, 0]]]},
    ],
)
def test_what_is_not_a_polygon_is_refused(bad):
    with pytest.raises(ValueError):
        Shape.from_geojson(bad)


def test_placing_an_order_does_not_import_shapely():
    script = (
        "import json, sys, django; django.setup();"
        "import workorders.services, dispatch.services, grids.locate, web.views.dashboard;"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'shapely', 'numpy'})))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "hotline.settings", "DEBUG": "1", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
