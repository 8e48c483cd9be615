from django.core.management.base import BaseCommand
from django.utils import timezone

from dispatch.calendar import calendar_check, calendar_seed


class Command(BaseCommand):
    help = "Seed the working-day calendar (holidays, 调休) from the chinesecalendar package."

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="*", type=int, help="years to seed (default: this year and next)")
        parser.add_argument("--overwrite", action="store_true", help="replace days already entered in the admin")

    def handle(self, *args, years, overwrite, **options):
        this_year = timezone.localdate().year
        years = years or [this_year, this_year + 1]
        result = calendar_seed(years=years, overwrite=overwrite)
        self.stdout.write(f"created {result.created}, updated {result.updated}, kept {result.kept}")
        for year in result.uncovered_years:
            self.stderr.write(
                f"{year}: not covered by the installed chinesecalendar; enter its holidays in the admin "
                "(until then Monday-Friday is used and an alert is shown)."
            )
        calendar_check()
