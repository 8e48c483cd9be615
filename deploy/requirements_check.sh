#!/usr/bin/env bash
# requirements.txt must be complete on its own: install only it into a fresh virtualenv
# and queue a task to Redis with the production code path (kombu's Redis transport
# imports `packaging`, which once came only with the dev requirements).
# Usage: deploy/requirements_check.sh [redis://127.0.0.1:6379/N]
set -euo pipefail
cd "$(dirname "$0")/.."
BROKER="${1:-${SMOKE_BROKER_URL:-redis://127.0.0.1:6379/12}}"
PY="$(command -v python3.11 || command -v python3)"
VENV="$(mktemp -d)/venv"
trap 'rm -rf "$(dirname "$VENV")"' EXIT
"$PY" -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check -r "${REQUIREMENTS:-requirements.txt}"
QUEUE="hotline-reqcheck-$$"
DJANGO_SETTINGS_MODULE=hotline.settings DEBUG=1 CELERY_BROKER_URL="$BROKER" HOTLINE_VAR_DIR="$(dirname "$VENV")/var" QUEUE="$QUEUE" \
  "$VENV/bin/python" - <<'PY'
import os

import django

django.setup()
import redis
from django.conf import settings

from hotline.celery import app

# Send by name as the workflow does, to a queue of our own, then find it in Redis.
app.send_task("dispatch.route_order", args=[0], queue=os.environ["QUEUE"])
r = redis.Redis.from_url(settings.CELERY_BROKER_URL)
assert r.llen(os.environ["QUEUE"]) == 1, "the task did not reach Redis"
r.delete(os.environ["QUEUE"])
print("requirements.txt alone: a task was queued to Redis")
PY
