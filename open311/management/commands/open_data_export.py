from datetime import date

from django.core.management.base import BaseCommand, CommandError

from open311.opendata import open_data_export


class Command(BaseCommand):
    help = "Make the open-data snapshot of a day (default today) if it does not exist yet."

    def add_arguments(self, parser):
        parser.add_argument("--day", help="YYYY-MM-DD")

    def handle(self, *args, day=None, **options):
        try:
            wanted = date.fromisoformat(day) if day else None
        except ValueError:
            raise CommandError(f"--day {day!r} is not a date (YYYY-MM-DD).") from None
        export = open_data_export(day=wanted)
        self.stdout.write(f"{export.day.isoformat()}: {export.rows} rows")
