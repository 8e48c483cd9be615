# No `from .celery import app` here (the usual Django pattern): the web process sends no
# broker message (hotline/outbox_relay.py wakes the workers), so it must not load Celery,
# kombu and their dependencies (~9 MB per gunicorn worker; BENCHMARKS.md › Memory). The
# worker and beat load the app by name: `python -m hotline.celery_main -A hotline …`
# finds hotline.celery (Celery looks for a `celery` submodule of the package it is given).
