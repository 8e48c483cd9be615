"""(Re)build the dashboard's daily roll-up: after deploy, after a load that bypassed the
services, or to repair a range (``--start``)."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError

from dashboards.rollup import rollup_rebuild


class Command(BaseCommand):
    help = "Rebuild the dashboard's daily roll-up from --start (default: the first order) up to yesterday."

    def add_arguments(self, parser):
        parser.add_argument("--start", help="first local day to re-roll, YYYY-MM-DD")

    def handle(self, *args, start=None, **options):
        try:
            first = date.fromisoformat(start) if start else None
        except ValueError as exc:
            raise CommandError(f"--start must be YYYY-MM-DD: {exc}") from exc
        run = rollup_rebuild(start=first)
        self.stdout.write(f"rolled {run.days} days through {run.rolled_through} in {run.seconds:.1f}s")
