from celery import shared_task


@shared_task(name="api.purge_idempotency_keys")
def purge_idempotency_keys() -> int:
    """Idempotency keys are kept 24 h; beat runs this hourly so the table stays small."""
    # Imported here: api.idempotency imports DRF (renderers, requests, pygments), which a
    # worker child does not otherwise load (issue 14, item 3).
    from api.idempotency import idempotency_purge

    return idempotency_purge()
