"""The dashboard's context: 环比/同比 and targets on the headline figures, labelled
sorting, a street's own sub-units ranked (adding up to the headline volume), rates per
category, and a map with place names coloured red only for overdue."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from dashboards import selectors as ds
from dashboards.compare import change
from workorders.models import Event
from workorders.services import (
    work_order_approve,
    work_order_assign,
    work_order_callback,
    work_order_reply,
    work_order_sign,
)


def _called_back(district, log_call, resolution, *, when=None, **fields):
    order = work_order_assign(order=log_call(**fields), actor=district.user("dispatcher"), unit=district.street_a)
    order = work_order_sign(order=order, actor=district.user("handler_a"))
    order = work_order_reply(order=order, actor=district.user("handler_a"), reply="已处理。")
    order = work_order_approve(order=order, actor=district.user("dispatcher"))
    satisfaction = "satisfied" if resolution == "solved" else "unsatisfied"
    work_order_callback(
        order=order,
        actor=district.user("operator"),
        contacted=True,
        resolution=resolution,
        satisfaction=satisfaction,
        now=when,
    )
    return order


def test_change_is_in_points_for_rates_and_percent_for_counts():
    assert change("resolution", ds.Figure("resolution", 9, 10), ds.Figure("resolution", 8, 10)).text == "+10.0"
    assert change("resolution", ds.Figure("resolution", 9, 10), ds.Figure("resolution", 8, 10)).better is True
    assert change("reopen", ds.Figure("reopen", 2, 10), ds.Figure("reopen", 1, 10)).better is False  # more reopens
    assert change("reopen", ds.Figure("reopen", 1, 10), ds.Figure("reopen", 2, 10)).css == "fall better"
    assert change("volume", ds.Figure("volume", 150, 0), ds.Figure("volume", 100, 0)).text == "+50%"
    assert change("resolution", ds.Figure("resolution", 1, 1), ds.Figure("resolution", 0, 0)) is None


def test_cards_compare_with_the_previous_period_and_show_the_target(login, district, log_call):
    _called_back(district, log_call, "solved")
    # The unsolved callback is recorded in the previous 30-day period.
    earlier = _called_back(district, log_call, "unsolved", when=timezone.now() - timedelta(days=40))
    assert Event.objects.get(order=earlier, kind="reopen").created_at < timezone.now() - timedelta(days=35)
    body = login("supervisor").get(reverse("web:dashboard")).content.decode()
    resolution = body[body.index('data-figure="resolution"') :]
    resolution = resolution[: resolution.index("</div>")]
    assert "100.0%" in resolution and "环比 +100.0" in resolution and 'class="delta rise better"' in resolution
    assert "同比 —" in resolution  # nothing a year ago
    assert "目标 ≥85%" in resolution and "badge-ok" in resolution
    assert "指标口径" in body


def test_the_ranking_says_how_it_is_sorted_and_sorts_on_request(login, district, log_call):
    client = login("supervisor")
    body = client.get(reverse("web:dashboard")).content.decode()
    assert "排序：" in body and 'aria-current="true" class="badge badge-info">满意率 ↓' in body
    body = client.get(reverse("web:dashboard"), {"sort": "volume"}).content.decode()
    assert 'aria-current="true" class="badge badge-info">主办量 ↓' in body
    assert client.get(reverse("web:dashboard"), {"sort": "nonsense"}).status_code == 200


def test_a_street_scope_ranks_its_communities_and_adds_up_to_the_volume(login, district, log_call):
    in_a = [work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)]
    in_a.append(work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a))
    # Led by street A but located in street B's grid: counts for street A, in no community of it.
    elsewhere = log_call(lat=39.905, lng=116.325, address="乙街道某处")
    work_order_assign(order=elsewhere, actor=district.user("dispatcher"), unit=district.street_a)
    client = login("supervisor")
    body = client.get(reverse("web:dashboard"), {"unit": district.street_a.pk}).content.decode()
    assert "所辖社区排名" in body and district.community_a.name in body
    table = body[body.index('id="ranking"') :]
    table = table[: table.index("</section>")]
    assert f'&community={district.community_a.pk}">2</a>' in table
    assert "未落到下级单位" in table and '<td class="num">1</td>' in table
    assert "合计（即受理量）" in table and '<td class="num">3</td>' in table
    # The row opens to exactly the orders it counts.
    listed = client.get(
        reverse("web:orders"), {"unit": district.street_a.pk, "community": district.community_a.pk}
    ).content.decode()
    assert all(o.number in listed for o in in_a) and elsewhere.number not in listed


def test_categories_show_resolution_and_satisfaction_rates(login, district, log_call):
    _called_back(district, log_call, "solved")
    _called_back(district, log_call, "unsolved")
    body = login("supervisor").get(reverse("web:dashboard")).content.decode()
    section = body[body.index("分类受理量与办理质量") :]
    section = section[: section.index("</section>")]
    assert district.cat_territorial.name in section and "50.0%" in section and "1/2" in section


def test_the_map_names_places_and_keeps_red_for_overdue(login, district, log_call):
    work_order_assign(order=log_call(), actor=district.user("dispatcher"), unit=district.street_a)
    client = login("supervisor")
    body = client.get(reverse("web:dashboard")).content.decode()
    svg = body[body.index('<svg class="gridmap"') : body.index("</svg>", body.index('<svg class="gridmap"'))]
    assert district.community_a.name in svg and 'class="volume-5"' in svg and "overdue-" not in svg
    body = client.get(reverse("web:dashboard"), {"measure": "overdue"}).content.decode()
    assert 'class="overdue-0"' in body and "红色深浅表示此刻超时的工单数" in body
