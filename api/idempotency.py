"""Idempotent POST following the IETF httpapi Idempotency-Key draft.

The first request with a key writes it in the same transaction as its work (the order),
with the response it produced, and every retry with the same body gets that response
replayed for 24 hours. A retry that arrives while the first is running waits for its
commit on the key's unique index and then gets the replay; if the first was killed
before committing, there is neither order nor key and the retry runs. A different body
under the same key answers 422. A request that fails (4xx/5xx or an exception) leaves no
key, so the client may correct it and retry."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import error_body
from api.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
# How long a committed ``running`` key (written before keys shared the order's
# transaction) is taken as still in progress before a retry may run.
STALE_RUNNING = timedelta(seconds=30)
REPLAYED_HEADERS = ("Location", "ETag")


def _owner(request: Request) -> str:
    if request.user and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"anon:{request.META.get('REMOTE_ADDR', '')}"


def _canonical(value):
    if hasattr(value, "read") and hasattr(value, "chunks"):  # an uploaded file
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": digest.hexdigest(), "size": value.size}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict: keep repeated keys
        return {k: [_canonical(v) for v in vs] for k, vs in value.lists()}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    data = _canonical(request.data)  # parses the body: malformed JSON fails here, before any claim
    raw = json.dumps({"m": request.method, "p": request.path, "d": data}, sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()


def idempotency_purge(*, older_than: timedelta = KEEP_FOR) -> int:
    """Delete keys past their keeping time; returns how many."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted


class _Taken(Exception):
    """The key exists (committed by an earlier request): answer from it."""


class _Release(Exception):
    """The handler answered with an error: roll back, so the key is free again."""

    def __init__(self, response: Response):
        self.response = response


def _replay(existing: IdempotencyKey) -> Response:
    replay = Response(existing.response_body, status=existing.response_status)
    for name, value in existing.response_headers.items():
        replay[name] = value
    replay["Idempotent-Replayed"] = "true"
    return replay


def _in_use() -> Response:
    return Response(error_body("idempotency_key_in_use", _("该幂等键的请求正在处理，请稍后重试。")), status=409)


def _claim_and_run(request: Request, handler: Callable[[], Response], owner: str, key: str, fp: str, now) -> Response:
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Uncommitted until the order is: a concurrent retry's INSERT waits on the
                # unique index for this transaction, then sees the committed result (or,
                # if this one rolled back or its process died, claims the key itself).
                row = IdempotencyKey.objects.create(
                    owner=owner,
                    key=key,
                    method=request.method or "",
                    path=request.path[:255],
                    fingerprint=fp,
                    created_at=now,
                )
        except IntegrityError:
            raise _Taken from None
        response = handler()
        if response.status_code >= 400:
            raise _Release(response)
        row.state = IdempotencyKey.State.DONE
        row.response_status = response.status_code
        row.response_body = json.loads(JSONRenderer().render(response.data) or b"null")
        row.response_headers = {h: response[h] for h in REPLAYED_HEADERS if response.has_header(h)}
        row.save(update_fields=["state", "response_status", "response_body", "response_headers"])
    return response


def run_idempotent(request: Request, handler: Callable[[], Response]) -> Response:
    """Run ``handler`` once per (client, key). The key row is written in the handler's
    own transaction, so it commits exactly when the order does: a committed order is
    always found by its key, and a request killed before its commit leaves no key behind
    (the retry simply runs). An exception or an error answer rolls back and frees it."""
    key = request.headers.get(HEADER)
    if key is None:
        return handler()
    key = key.strip()
    if not key or len(key) > 255:
        return Response(
            error_body("invalid_input", _("请求数据有误。"), {HEADER: [_("长度必须在 1 到 255 之间。")]}), status=400
        )
    owner, fp, now = _owner(request), fingerprint(request), timezone.now()
    IdempotencyKey.objects.filter(owner=owner, key=key, created_at__lt=now - KEEP_FOR).delete()
    for _attempt in range(2):
        try:
            return _claim_and_run(request, handler, owner, key, fp, now)
        except _Release as released:
            return released.response
        except _Taken:
            existing = IdempotencyKey.objects.filter(owner=owner, key=key).first()
        if existing is None:  # rolled back between our insert and this read: try again
            continue
        if existing.fingerprint != fp:
            return Response(
                error_body("idempotency_key_reused", _("该幂等键已用于另一个不同的请求。"), {HEADER: [key]}),
                status=422,
            )
        if existing.state == IdempotencyKey.State.DONE:
            return _replay(existing)
        # A committed "running" row comes only from a release that claimed keys in a
        # transaction of their own; one older than the lease lost its request to a crash.
        if existing.created_at >= now - STALE_RUNNING:
            return _in_use()
        IdempotencyKey.objects.filter(pk=existing.pk, state=IdempotencyKey.State.RUNNING).delete()
    return _in_use()
