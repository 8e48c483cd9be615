"""``python -m hotline.celery_main …`` is the ``celery …`` command (same options, same
sub-commands), for the long-running processes: ``-A hotline worker …`` and ``-A hotline
beat …`` (deploy/systemd, Procfile, scripts/runall.py).

Why not ``celery`` itself: its command line imports every sub-command when it starts, and
``celery amqp`` (an interactive AMQP shell) imports click-repl and with it prompt-toolkit,
169 modules and ~7 MB that a worker's main process keeps for its whole life and every
pool child it forks carries in its resident set (issue 14, item 3; BENCHMARKS.md ›
Memory). Here ``amqp`` is a stub that says to run it from ``celery``; every other
sub-command is Celery's own. ``celery amqp …`` works as before.
"""

from __future__ import annotations

import sys
import types

import click


def _without_amqp_shell() -> None:
    # Must run before celery.bin.celery is imported: it imports celery.bin.amqp, whose
    # module-level `from click_repl import register_repl` is the import this avoids.
    stub = types.ModuleType("celery.bin.amqp")

    @click.command(name="amqp", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    def amqp() -> None:
        """AMQP administration shell: not loaded here, run `celery amqp`."""
        raise click.UsageError("the AMQP shell is not loaded by hotline.celery_main: run `celery -A hotline amqp`.")

    stub.amqp = amqp  # type: ignore[attr-defined]
    sys.modules["celery.bin.amqp"] = stub


def main() -> None:
    from hotline.env import exit_on_bad_settings

    # A bad setting: one line and exit 2, as hotline.celery does for the `celery` command.
    exit_on_bad_settings()
    _without_amqp_shell()
    from celery.__main__ import main as celery_main

    celery_main()


if __name__ == "__main__":
    main()
