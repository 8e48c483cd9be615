import os
import sys
from pathlib import Path

from celery import Celery, signals
from celery.schedules import crontab
from django.apps import apps as django_apps

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")
# Celery's Django fixup runs Django's system checks when a worker starts. The URL and
# template checks import every view module, the API's DRF serializers (with requests and
# pygments) and every template tag library: ~10 MB in each worker child for code the
# worker never runs (issue 14, item 3). The checks run where they belong: `migrate` in
# the release step and `manage.py check --deploy` (README › Deploy).
os.environ.setdefault("CELERY_SKIP_CHECKS", "1")
if Path(sys.argv[0]).name in {"celery", "__main__.py"} and "celery" in sys.argv[0]:
    # The celery command (worker, beat): a bad setting is one line and exit 2, not a
    # traceback. Other importers (manage.py, wsgi, pytest) check in their own way.
    from hotline.env import exit_on_bad_settings

    exit_on_bad_settings()

app = Celery("hotline")
# All Celery options live in Django settings under the CELERY_ prefix, so one module
# (and the environment behind it) configures the worker and beat alike.
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def beat_schedule(entries: dict) -> dict:
    """The settings' CELERY_BEAT_SCHEDULE as beat reads it: a schedule given as a dict is
    a crontab's fields (settings.py does not import Celery, so the web never loads it)."""
    return {
        name: {**entry, "schedule": crontab(**entry["schedule"])} if isinstance(entry["schedule"], dict) else entry
        for name, entry in entries.items()
    }


app.conf.beat_schedule = beat_schedule(app.conf.beat_schedule)

if django_apps.ready:
    # Loaded by a process that is already running Django (eager mode: the test suite,
    # scripts without a worker): register every task now, as a worker does at start, so a
    # task sent by name runs here. No app's ready() imports its tasks module any more:
    # the web process never loads Celery.
    app.loader.import_default_modules()


@signals.task_prerun.connect
def _bind_log_context(sender=None, task_id=None, args=(), kwargs=None, **_):
    from hotline.logging import bind_task_context

    parent = getattr(getattr(sender, "request", None), "hotline_request_id", "") or ""
    bind_task_context(getattr(sender, "name", ""), task_id, tuple(args or ()), dict(kwargs or {}), parent)


@signals.before_task_publish.connect
def _pass_request_id(headers=None, **_):
    from hotline.logging import task_headers

    if headers is not None:
        headers.update(task_headers())


@signals.task_prerun.connect
def _note_start(sender=None, task_id=None, **_):
    from hotline.health import HEARTBEAT_TASKS, task_started

    if getattr(sender, "name", "") in HEARTBEAT_TASKS:
        task_started(task_id)


@signals.task_success.connect
def _heartbeat(sender=None, **_):
    # The scan and roll-up record that they ran, for /readyz and the scan-lag metric.
    from hotline.health import HEARTBEAT_TASKS, heartbeat_from_task, task_seconds

    name = getattr(sender, "name", "")
    if name in HEARTBEAT_TASKS:
        heartbeat_from_task(name, task_seconds(sender.request.id))


@signals.worker_ready.connect
def _start_outbox_relay(**_):
    # In the worker's main process only (not in beat, not in pool children, which are
    # forked before this signal): wake the drains when outbox rows commit.
    from hotline.outbox_relay import relay

    relay.start()


@signals.worker_shutdown.connect
def _stop_outbox_relay(**_):
    from hotline.outbox_relay import relay

    relay.stop()
