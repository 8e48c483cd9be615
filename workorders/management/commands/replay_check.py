import json

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError

from workorders.models import WorkOrder
from workorders.replay import replay_mismatches


class Command(BaseCommand):
    help = (
        "Check that every order's status, units and version follow from its event log (run after a "
        "restore); prints the row count of every table as JSON and fails on any mismatch."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database="default", **options):
        orders = WorkOrder.objects.using(database)
        checked = orders.count()
        bad = [number for number, _stored, _rebuilt in replay_mismatches(orders)]
        counts = {
            model._meta.db_table: model._default_manager.using(database).count()
            for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy
        }
        self.stdout.write(json.dumps({"orders": checked, "mismatches": bad, "counts": counts}, sort_keys=True))
        if bad:
            raise CommandError(f"{len(bad)} of {checked} orders do not match their event log: {', '.join(bad[:20])}")
