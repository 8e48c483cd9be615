import pytest
from django.conf import settings
from django.test.utils import override_settings
from django.utils import translation


@pytest.fixture(autouse=True)
def _test_defaults():
    # Unit tests run tasks in-process (tests marked celery_worker start real workers).
    # A fast hasher: building a district creates a dozen users per test.
    with override_settings(
        CELERY_TASK_ALWAYS_EAGER=True, PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]
    ):
        from grids.locate import reset_cache
        from hotline.celery import app

        reset_cache()  # each test builds its own units; never reuse another test's grid index
        # Throttle counters and lock-outs (hotline.ratelimit) must not carry from test to test.
        from django.core.cache import cache

        cache.clear()
        from knowledge.search import reset_index

        reset_index()  # the knowledge base's search index, likewise
        # LocaleMiddleware activates a request's language for the whole thread and never
        # resets it; start every test in the default language.
        translation.activate(settings.LANGUAGE_CODE)

        app.conf.task_always_eager = True
        # Celery keeps "a task is running here, .get() would block" in one process-wide
        # flag that each eager apply_async sets and then puts back as it found it. Tasks
        # applied eagerly in two threads at once (tests of concurrent actions, whose
        # commits drain follow-ups in their own threads) can put it back in the wrong
        # order and leave it set, and a later test's .get() then fails with "Never call
        # result.get() within a task". No test starts inside a task.
        from celery._state import _set_task_join_will_block

        _set_task_join_will_block(False)
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


def pytest_sessionstart(session):
    """In CI's service run, an unreachable PostgreSQL or Redis fails the run at once."""
    import os

    if os.environ.get("HOTLINE_REQUIRE_SERVICES") != "1":
        return
    from django.conf import settings

    problems = []
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        problems.append("HOTLINE_REQUIRE_SERVICES=1 but DATABASE_URL is not PostgreSQL")
    else:
        import psycopg2

        db = settings.DATABASES["default"]
        try:
            psycopg2.connect(
                dbname="postgres",
                user=db["USER"],
                host=db["HOST"],
                port=db["PORT"] or 5432,
                password=db["PASSWORD"],
                connect_timeout=5,
            ).close()
        except psycopg2.Error as exc:
            problems.append(f"PostgreSQL unreachable: {exc}")
    try:
        import redis

        redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_timeout=5).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means the broker is unusable
        problems.append(f"Redis broker {settings.CELERY_BROKER_URL} unreachable: {exc}")
    if problems:
        pytest.exit("; ".join(problems), returncode=3)


def pytest_collection_modifyitems(config, items):
    import os

    from django.conf import settings

    on_postgres = settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
    on_redis = settings.CELERY_BROKER_URL.startswith("redis")
    required = os.environ.get("HOTLINE_REQUIRE_SERVICES") == "1"
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL=postgres://…)")
    skip_worker = pytest.mark.skip(reason="needs PostgreSQL and a Redis broker for real worker processes")
    skip_redis = pytest.mark.skip(reason="needs Redis (set CELERY_BROKER_URL=redis://…)")
    for item in items:
        if required:
            continue  # the service run must execute everything
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(skip_pg)
        if "celery_worker" in item.keywords and not (on_postgres and on_redis):
            item.add_marker(skip_worker)
        if "redis" in item.keywords and not on_redis:
            item.add_marker(skip_redis)
