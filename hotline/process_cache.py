"""A value loaded from the database and held per process for a few seconds.

For small tables read on every request or task (categories, routing rules): the value
is reloaded at most every ``stale_after`` seconds, so an edit made in another process is
seen within that time, and at once in the process that saved it (post_save/post_delete
of the ``senders`` drop it). Treat what it returns as read-only: it is shared by every
thread of the process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")


class ProcessCache(Generic[T]):
    def __init__(self, name: str, load: Callable[[], T], *, senders: Iterable[type], stale_after: float = 5.0) -> None:
        self.load = load
        self.stale_after = stale_after
        self._lock = threading.Lock()
        self._loaded_at = -1e18
        self._value: T | None = None
        for model in senders:
            post_save.connect(self.forget, sender=model, weak=False, dispatch_uid=f"{name}-save-{model.__name__}")
            post_delete.connect(self.forget, sender=model, weak=False, dispatch_uid=f"{name}-delete-{model.__name__}")

    def forget(self, *_args, **_kwargs) -> None:
        with self._lock:
            self._loaded_at = -1e18

    def get(self) -> T:
        with self._lock:
            now = time.monotonic()
            if now - self._loaded_at > self.stale_after:
                self._value = self.load()
                self._loaded_at = now
            return self._value  # type: ignore[return-value]  # loaded above: stale_after < 1e18 s
