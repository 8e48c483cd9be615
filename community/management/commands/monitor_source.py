"""Add a monitoring source (with its service account and first key) or issue it a new
key: `manage.py monitor_source add CODE --name NAME --unit UNIT_CODE [--category CODE]`,
`manage.py monitor_source rotate CODE`. The key is printed once and cannot be read back."""

from django.core.management.base import BaseCommand, CommandError

from community.models import MonitorSource
from community.monitor import monitor_source_create, monitor_source_rotate_key
from grids.models import OrgUnit
from workorders.models import Category


class Command(BaseCommand):
    help = "Add a monitoring source (service account + API key) or rotate its key."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["add", "rotate"])
        parser.add_argument("code")
        parser.add_argument("--name", default="")
        parser.add_argument("--unit", help="code of the unit the source reports for (e.g. a street)")
        parser.add_argument("--category", default="", help="default minor category code")

    def handle(self, *args, action, code, name, unit, category, **options):
        if action == "rotate":
            source = MonitorSource.objects.filter(code=code).first()
            if source is None:
                raise CommandError(f"No monitoring source {code!r}.")
            key = monitor_source_rotate_key(source=source)
        else:
            if MonitorSource.objects.filter(code=code).exists():
                raise CommandError(f"Monitoring source {code!r} exists; use rotate for a new key.")
            where = OrgUnit.objects.filter(code=unit or "").first()
            if where is None:
                raise CommandError(f"--unit: no unit with code {unit!r}.")
            default = None
            if category:
                default = Category.objects.filter(code=category, parent__isnull=False, is_active=True).first()
                if default is None:
                    raise CommandError(f"--category: no active minor category {category!r}.")
            _source, key = monitor_source_create(code=code, name=name or code, unit=where, default_category=default)
        self.stdout.write(key)
