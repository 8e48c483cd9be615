"""The early-warning list and a topic from promotion to closure, through the pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grids.models import Role
from hotline.testing import make_user
from proactive.detection import signals_detect
from proactive.models import Signal, Topic, TopicEvent


@pytest.fixture
def cluster(district, log_call, copies, monday):
    """Four near-duplicate calls in street A last week, two from one number."""
    seed = log_call(now=monday)
    copies(seed, [monday + timedelta(hours=1)])
    copies(seed, [monday + timedelta(hours=i) for i in (2, 3)], caller_phone="13900001111")
    signals_detect(week=monday.date())
    return Signal.objects.get(kind="cluster")


@pytest.mark.django_db
def test_the_weekly_list_shows_the_cluster_with_masked_repeat_callers(client, district, cluster, monday):
    client.force_login(district.user("supervisor"))
    page = client.get(reverse("proactive:warnings"), {"week": monday.date().isoformat()}).content.decode()
    assert "相似诉求聚集" in page and "一人多诉" in page
    assert "138****5678" in page and "139****1111" in page
    assert "13812345678" not in page and "13900001111" not in page


@pytest.mark.django_db
def test_a_street_supervisor_sees_their_street_and_another_street_nothing(client, district, cluster, monday):
    week = {"week": monday.date().isoformat()}
    client.force_login(district.user("supervisor_a"))
    assert "相似诉求聚集" in client.get(reverse("proactive:warnings"), week).content.decode()
    client.force_login(make_user("supervisor_b", district.street_b, Role.SUPERVISOR))
    assert "相似诉求聚集" not in client.get(reverse("proactive:warnings"), week).content.decode()
    assert client.get(reverse("proactive:promote", args=[cluster.pk])).status_code == 404


@pytest.mark.django_db
def test_handlers_do_not_get_the_page_nor_the_menu_entry(client, district, cluster):
    client.force_login(district.user("handler_a"))
    assert client.get(reverse("proactive:warnings")).status_code == 404
    assert reverse("proactive:warnings") not in client.get(reverse("web:workbench")).content.decode()
    client.force_login(district.user("supervisor"))
    assert f'href="{reverse("proactive:warnings")}"' in client.get(reverse("web:workbench")).content.decode()


@pytest.mark.django_db
def test_a_topic_from_promotion_to_closure(client, district, cluster, log_call):
    sup = district.user("supervisor")
    client.force_login(sup)
    url = reverse("proactive:promote", args=[cluster.pk])
    bad = client.post(url, {"title": "", "owner": sup.pk, "plan": "", "due": "2000-01-01"})
    assert bad.status_code == 400 and not Topic.objects.exists()
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    r = client.post(url, {"title": "幸福里占道摆摊", "owner": sup.pk, "plan": "城管联合执法，设疏导点", "due": due})
    topic = Topic.objects.get()
    assert r.status_code == 302 and topic.orders.count() == 4
    act = lambda action, **data: client.post(reverse("proactive:topic_act", args=[topic.pk, action]), data)  # noqa: E731

    later = log_call(title="又在摆摊", description="幸福里门口又有人摆摊")
    assert act("link", number=later.number).status_code == 302
    assert act("link", number="NOPE").status_code == 404
    assert act("milestone", title="", due=due).status_code == 400
    assert act("milestone", title="设置疏导点", due=due).status_code == 302
    closing = act("close", result="已设疏导点", version=topic.version)
    assert closing.status_code == 400 and "还有未完成的节点" in closing.content.decode()
    act("done", milestone=topic.milestones.get().pk)
    assert act("close", result="已设疏导点", version=topic.version + 5).status_code == 409
    assert act("close", result="已设疏导点", version=topic.version).status_code == 302
    topic.refresh_from_db()
    assert topic.status == "closed" and topic.orders.count() == 5
    assert list(TopicEvent.objects.filter(topic=topic).values_list("kind", flat=True)) == [
        "created", "linked", "milestone", "milestone_done", "closed",
    ]  # fmt: skip
    page = client.get(reverse("proactive:topic", args=[topic.pk])).content.decode()
    assert "立项前四周：4 件" in page and "办结专题" not in page
    assert act("link", number=later.number).status_code == 409  # a closed topic takes no more


@pytest.mark.django_db
def test_only_orders_in_the_supervisors_scope_are_linked(client, district, log_call, copies, monday):
    seed = log_call(now=monday)
    copies(seed, [monday + timedelta(hours=1)])
    (elsewhere,) = copies(seed, [monday + timedelta(hours=2)], street=district.street_b, grid=None)
    signals_detect(week=monday.date())
    sup_a = district.user("supervisor_a")
    client.force_login(sup_a)
    signal = Signal.objects.get(kind="cluster")
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    client.post(
        reverse("proactive:promote", args=[signal.pk]), {"title": "t", "owner": sup_a.pk, "plan": "p", "due": due}
    )
    topic = Topic.objects.get()
    assert signal.orders.filter(pk=elsewhere.pk).exists()  # detection sees the whole district
    assert set(topic.orders.values_list("street_id", flat=True)) == {district.street_a.pk}


@pytest.mark.django_db
def test_the_pages_speak_english_from_their_own_catalogue(client, district, cluster, monday):
    client.force_login(district.user("supervisor"))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("proactive:warnings"), {"week": monday.date().isoformat()}).content.decode()
    assert "Early warning and topics" in page and "Cluster of similar requests" in page and "Repeat callers" in page


@pytest.mark.django_db
def test_a_confidential_caller_is_never_listed_as_a_repeat_caller(client, district, log_call, copies, monday):
    seed = log_call(now=monday, caller_phone="13700009999", caller_confidential=True)
    copies(seed, [monday + timedelta(hours=i) for i in (1, 2)])
    signals_detect(week=monday.date())
    client.force_login(district.user("supervisor"))
    page = client.get(reverse("proactive:warnings"), {"week": monday.date().isoformat()}).content.decode()
    assert "相似诉求聚集" in page and "一人多诉" not in page and "9999" not in page


@pytest.mark.django_db
def test_a_topic_raises_a_proactive_order_before_anyone_complains(client, district, cluster):
    """未诉先办 from a topic: the order has the proactive channel, waits for the operators,
    carries the topic's category, is linked to the topic and on its timeline."""
    from workorders.models import WorkOrder

    sup = district.user("supervisor")
    client.force_login(sup)
    due = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(
        reverse("proactive:promote", args=[cluster.pk]),
        {"title": "幸福里占道摆摊", "owner": sup.pk, "plan": "设疏导点", "due": due},
    )
    topic = Topic.objects.get()
    url = reverse("proactive:topic_act", args=[topic.pk, "raise"])
    page = client.get(reverse("proactive:topic", args=[topic.pk])).content.decode()
    assert district.community_a.name in page  # a place of the topic's street to choose
    before = WorkOrder.objects.count()
    assert client.post(url, {"place": "", "description": ""}).status_code == 400
    assert WorkOrder.objects.count() == before  # a bad form saves nothing
    r = client.post(url, {"place": district.community_a.pk, "description": "傍晚摊贩高峰前在东门设疏导点"})
    assert r.status_code == 302
    order = WorkOrder.objects.latest("pk")
    assert (order.channel, order.status, order.community) == ("proactive", "submitted", district.community_a)
    assert order.category_id == topic.category_id
    assert topic.orders.filter(pk=order.pk).exists()
    assert TopicEvent.objects.filter(topic=topic, kind="raised", note=order.number).exists()
    client.force_login(district.user("handler_a"))  # not a supervisor: no such page
    assert client.post(url, {"place": district.community_a.pk, "description": "x"}).status_code == 404


@pytest.mark.django_db
def test_order_titles_on_the_warnings_and_a_topic_are_read_as_the_policy_says(client, district, log_call, monday):
    """A supervisor reads residents' words redacted (workorders.privacy) here as on every
    other list: the title's phone number masked, the caller's name replaced."""
    from proactive.models import TopicOrder

    titled = {"title": "张三13812345678反映占道"}
    seed = log_call(now=monday, **titled)
    for hours in (1, 2, 3):
        log_call(now=monday + timedelta(hours=hours), **titled)
    signals_detect(week=monday.date())
    client.force_login(district.user("supervisor"))
    page = client.get(reverse("proactive:warnings"), {"week": monday.date().isoformat()}).content.decode()
    assert "[姓名]138****5678反映占道" in page and "13812345678" not in page
    supervisor = district.user("supervisor")
    topic = Topic.objects.create(
        title="占道专题",
        plan="-",
        owner=supervisor,
        due=monday.date(),
        created_by=supervisor,
        created_at=timezone.now(),
    )
    TopicOrder.objects.create(topic=topic, order=seed)
    page = client.get(reverse("proactive:topic", args=[topic.pk])).content.decode()
    assert f"{seed.number}</a> [姓名]138****5678反映占道 · {seed.get_status_display()}" in page
    assert "13812345678" not in page
