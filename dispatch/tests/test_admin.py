import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dispatch.alerts import alert_raise
from dispatch.models import RoutingRule
from workorders.choices import Routing


@pytest.fixture
def admin_client(client, district):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    client.force_login(user)
    return client


@pytest.mark.parametrize("model", ["routingrule", "dispatchqueueentry", "notification", "callbackretry", "systemalert"])
def test_admin_lists_dispatch_models(admin_client, model):
    assert admin_client.get(reverse(f"admin:dispatch_{model}_changelist")).status_code == 200


def test_admin_shows_a_broken_rule_and_its_alert(admin_client, district, routed):
    rule = RoutingRule.objects.create(category=district.cat_territorial, target=Routing.DEPARTMENT, department=None)
    routed()
    body = admin_client.get(reverse("admin:dispatch_routingrule_changelist")).content.decode()
    assert "部门已删除或未指定" in body
    alerts = admin_client.get(reverse("admin:dispatch_systemalert_changelist")).content.decode()
    assert f"派单规则 #{rule.pk}" in alerts


def test_a_repeated_alert_is_counted_not_duplicated(db):
    alert_raise(key="k", message="问题")
    again = alert_raise(key="k", message="问题")
    assert again.count == 2
