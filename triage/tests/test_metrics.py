import pytest

from triage.models import ModelKind, ModelVersion
from triage.training import models_train


def _gauges(client) -> dict[str, float]:
    text = client.get("/metrics").content.decode()  # the test client is 127.0.0.1: allowed
    return {
        line.split()[0]: float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("hotline_model_accuracy{")
    }


@pytest.mark.django_db
def test_metrics_report_the_active_models_held_out_accuracy(client, history):
    assert _gauges(client) == {}  # cold start: keyword rules, no model to report
    models_train()
    gauges = _gauges(client)
    for kind in (ModelKind.CATEGORY, ModelKind.UNIT):
        active = ModelVersion.objects.get(kind=kind, is_active=True)
        assert gauges[f'hotline_model_accuracy{{kind="{kind}",measure="top1"}}'] == pytest.approx(active.top1)
        assert gauges[f'hotline_model_accuracy{{kind="{kind}",measure="top3"}}'] == pytest.approx(active.top3)
