"""A history of handled orders to train on. The texts are written here, apart from the
demo corpus (workorders/demo/corpus.py), so no test measures the generator against
itself."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone

from triage import model as ml
from triage.services import forget_models
from workorders import services as svc
from workorders.demo import corpus
from workorders.demo.data import CATEGORIES

STALLS = [
    "路口有人摆摊卖水果",
    "早上人行道被小贩占了",
    "三轮车在门口卖菜堵路",
    "夜里流动摊贩占道经营",
    "煎饼摊子摆到马路上",
]
BUILDS = [
    "楼顶有人加盖了一间房",
    "邻居在院子里盖违建",
    "顶层搭了彩钢房还在施工",
    "一楼扩建砖房违章建筑",
    "平房上又私自加盖一层",
]
TAILS = ["", "，希望尽快处理", "，已经一个月了", "，麻烦来看看", "，影响大家生活"]


@pytest.fixture(autouse=True)
def _fresh_models():
    with override_settings(HOTLINE_TRAIN_MIN_ORDERS=20, HOTLINE_AUTO_DISPATCH_THRESHOLD=0.5):
        forget_models()
        yield
        forget_models()


@pytest.fixture
def handled(district):
    """handled(texts, category, unit, handler, start=...) → orders logged, assigned, signed."""
    d = district

    def _make(texts, category, unit, handler, *, start=None, street_a=True):
        start = start or timezone.now() - timedelta(days=20)
        made = []
        for i, text in enumerate(texts):
            at = start + timedelta(minutes=10 * i)
            place = dict(lat=39.905, lng=116.305) if street_a else dict(lat=39.905, lng=116.325)
            order = svc.work_order_log_call(
                actor=d.user("operator"),
                caller_phone=f"1390000{i:04d}",
                title=text[:10],
                description=text,
                category=category,
                auto_dispatch=False,
                now=at,
                **place,
            )
            order = svc.work_order_assign(order=order, actor=d.user("dispatcher"), unit=unit, now=at)
            made.append(svc.work_order_sign(order=order, actor=handler, now=at))
        return made

    return _make


def texts(phrases: list[str], n: int) -> list[str]:
    return [phrases[i % len(phrases)] + TAILS[(i // len(phrases)) % len(TAILS)] for i in range(n)]


@pytest.fixture
def history(district, handled):
    """30 stall orders (territorial, street A) and 30 illegal-building ones (department),
    interleaved in time so the held-out split holds both."""
    d = district
    start = timezone.now() - timedelta(days=30)
    stalls = texts(STALLS, 30)
    builds = texts(BUILDS, 30)
    for i in range(30):
        at = start + timedelta(hours=i)
        handled([stalls[i]], d.cat_territorial, d.street_a, d.user("handler_a"), start=at)
        handled([builds[i]], d.cat_department, d.dept, d.user("handler_dept"), start=at + timedelta(minutes=30))
    return d


@pytest.fixture
def login(client, district):
    def _login(username):
        client.force_login(district.user(username))
        return client

    return _login


NAMES = [m[0] for _code, _major, minors in CATEGORIES for m in minors]


@pytest.fixture(scope="module")
def demo_model() -> ml.TextClassifier:
    """Trained as the demo trains: generated orders of every phrasing, all categories
    equally often (50 each); for the hand-written unseen-wording checks."""
    rng = random.Random(7)
    samples = []
    for i in range(50 * len(NAMES)):
        name = NAMES[i % len(NAMES)]
        desc = corpus.description(name, rng, others=NAMES)
        title = corpus.title(name, rng, desc)
        samples.append(ml.Sample(desc if desc.startswith(title) else f"{title}。{desc}", "ch:hotline", name))
    return ml.fit(samples)
