import pytest
from django.test.utils import override_settings


@pytest.fixture(autouse=True)
def _eager_celery():
    # Unit tests run tasks in-process; tests marked celery_worker start real workers.
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        from hotline.celery import app

        app.conf.task_always_eager = True
        yield
        app.conf.task_always_eager = False


@pytest.fixture
def district(db):
    from hotline.testing import build_district

    return build_district()


@pytest.fixture
def log_call(district):
    """Log a hotline call in street A (grid A1) as the operator, without routing."""
    from workorders.services import work_order_log_call

    def _log(**overrides):
        fields = dict(
            actor=district.user("operator"),
            caller_name="张三",
            caller_phone="13812345678",
            title="路口有人占道摆摊",
            description="每天傍晚在幸福里小区门口摆摊，影响通行。",
            address="幸福里小区东门",
            lat=39.905,
            lng=116.305,
            category=district.cat_territorial,
            auto_dispatch=False,
        )
        fields.update(overrides)
        return work_order_log_call(**fields)

    return _log
