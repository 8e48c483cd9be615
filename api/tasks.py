from celery import shared_task

from api.idempotency import idempotency_purge


@shared_task(name="api.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Idempotency keys are kept 24 h; beat runs this hourly so the table stays small."""
    return idempotency_purge()
