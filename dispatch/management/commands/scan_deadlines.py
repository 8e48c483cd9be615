from django.core.management.base import BaseCommand

from dispatch.scan import deadline_scan


class Command(BaseCommand):
    help = "Run one deadline scan now (what beat runs every 15 seconds)."

    def handle(self, *args, **options):
        result = deadline_scan()
        self.stdout.write(
            f"warned {result.warned}, breached {result.breached}, escalated {result.escalated}, "
            f"skipped {result.skipped}, failed {result.failed}"
        )
