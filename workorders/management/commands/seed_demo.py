from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from workorders.demo import data
from workorders.demo.seed import DEFAULT_ORDERS, seed_demo


class Command(BaseCommand):
    help = "Build the demo district (滨河区) with users per role and historical orders. Safe to run twice."

    def add_arguments(self, parser):
        parser.add_argument(
            "--orders",
            type=int,
            default=DEFAULT_ORDERS,
            help=f"historical orders to simulate into an empty database (default {DEFAULT_ORDERS})",
        )
        parser.add_argument("--days", type=int, default=90, help="spread over this many past days (default 90)")
        parser.add_argument(
            "--demo-with-debug-off",
            action="store_true",
            help="build it even with DEBUG=0 (a demo server, never production)",
        )

    def handle(self, *args, orders: int, days: int, demo_with_debug_off: bool = False, **options):
        # The demo's accounts share a published password: never on a production install by accident.
        if not settings.DEBUG and not demo_with_debug_off:
            raise CommandError(
                "seed_demo creates accounts with the published password "
                f"{data.DEMO_PASSWORD!r}; it runs with DEBUG=1 only (or --demo-with-debug-off for a demo server)."
            )
        if orders < 0 or days < 1:
            self.stderr.write("--orders must be ≥ 0 and --days ≥ 1")
            raise SystemExit(2)
        result = seed_demo(orders=orders, days=days, progress=lambda n: self.stdout.write(f"  … {n} orders simulated"))
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo district ready: {result['units']} units, {result['categories']} minor categories, "
                f"{result['orders_created']} new orders."
            )
        )
        self.stdout.write(f"Demo logins (password for all: {data.DEMO_PASSWORD}):")
        for username, display, _unit, role in data.DEMO_USERS:
            self.stdout.write(f"  {username:<11} {role:<12} {display}")
