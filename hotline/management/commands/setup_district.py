import json
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from hotline.district import DistrictFileError, district_import


class Command(BaseCommand):
    help = (
        "First set-up of a district: units, boundaries, address aliases and categories from a GeoJSON "
        "FeatureCollection (format: hotline/district.py, example: deploy/district.example.geojson), "
        "then the working-day calendar. Safe to re-run after editing the file."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="the district file (GeoJSON)")

    def handle(self, *args, path: Path, **options):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path}: not JSON ({exc})") from None
        try:
            result = district_import(data=data)
        except DistrictFileError as exc:
            raise CommandError(f"{path}: nothing imported:\n  " + "\n  ".join(exc.errors)) from None
        kinds = ", ".join(f"{n} {k}" for k, n in result.by_kind.items())
        self.stdout.write(
            self.style.SUCCESS(
                f"District set up: {result.units_created} units created, {result.units_updated} updated ({kinds}); "
                f"{result.aliases} address aliases, {result.categories} categories."
            )
        )
        # Limits in working time need the holidays and 调休 days from the first order on.
        call_command("seed_calendar", stdout=self.stdout, stderr=self.stderr)
