"""gunicorn for Hotline:  gunicorn -c deploy/gunicorn.conf.py hotline.wsgi

Read by gunicorn's master before it forks. Values come from the environment through
hotline.env, like the Django settings, so a typo stops start-up naming the variable.
The Django settings themselves are loaded here once, in the master, so a bad setting is
one line and exit 2 instead of every worker failing to boot in a loop.
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hotline.settings")

from hotline.env import env_int, env_str, exit_on_bad_settings  # noqa: E402

exit_on_bad_settings()


def _tune_malloc(arenas: int = 2, mmap_threshold: int = 128 * 1024) -> None:
    """glibc's malloc, set in the master so that the workers it forks inherit it (the
    same as MALLOC_ARENA_MAX=2 and MALLOC_MMAP_THRESHOLD_=131072 in the environment,
    which the systemd units set too), wherever gunicorn is started from:

    - at most 2 arenas: by default each thread that allocates gets one of its own (up
      to 8 per core), each keeping the memory freed in it;
    - blocks of 128 KB and more always mmap'd, so freeing them gives the memory back:
      by default glibc raises that threshold to the largest block freed so far (up to
      32 MB), after which big transient buffers (a query's rows, a rendered page, a
      model blob) come from the heap and stay resident after they are freed
      (BENCHMARKS.md › Memory)."""
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return  # not glibc
    if not os.environ.get("MALLOC_ARENA_MAX"):
        libc.mallopt(-8, arenas)  # M_ARENA_MAX
    if not os.environ.get("MALLOC_MMAP_THRESHOLD_"):
        libc.mallopt(-3, mmap_threshold)  # M_MMAP_THRESHOLD (fixing it ends the dynamic raise)


_tune_malloc()

chdir = str(ROOT)
wsgi_app = "hotline.wsgi:application"
# nginx in front on the same host (deploy/nginx.conf); GUNICORN_BIND=0.0.0.0:8000 only
# behind a load balancer that is the sole way in.
bind = env_str("GUNICORN_BIND", "127.0.0.1:8000").split(",")
# Threads, not more processes: requests spend their time waiting on PostgreSQL, and
# threads share one copy of the app (BENCHMARKS.md: gthread, workers = cores, 4 threads).
worker_class = "gthread"
workers = env_int("GUNICORN_WORKERS", os.cpu_count() or 2, minimum=1)
threads = env_int("GUNICORN_THREADS", 4, minimum=1)
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=5)
graceful_timeout = 30
keepalive = 5
# The master imports the app once and the workers fork from it (BENCHMARKS.md › Memory):
# the modules' pages are shared until written, and a worker maps only the shared-library
# pages it touches, so after the standard run a worker holds ~6 MB less RSS and ~11 MB
# less PSS, and a recycled worker starts at once. The master opens no database or broker
# connection and starts no thread (hotline/tests/test_gunicorn_preload.py), so nothing is
# shared that must not be. The cost: a HUP (`systemctl reload hotline-web`) re-forks the
# workers from the code the master loaded; new code needs `systemctl restart` (README ›
# Deploy: upgrades restart).
preload_app = True
# Recycle workers now and then: photo decoding and big exports leave memory fragmented.
max_requests = env_int("GUNICORN_MAX_REQUESTS", 2000, minimum=0)
max_requests_jitter = max_requests // 10
# Access log with the request id the app echoes (X-Request-ID), so a line in the access
# log finds its application log lines.
accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
errorlog = "-"
# X-Forwarded-Proto is honoured only from the local proxy.
forwarded_allow_ips = env_str("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def on_starting(server):
    # prometheus-client's multiprocess mode: each worker writes its samples to files in
    # this directory; files of a previous run would be counted again.
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        for stale in Path(directory).glob("*.db"):
            stale.unlink()


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
