from django.core.management.base import BaseCommand, CommandError

from dispatch.retention import retention_anonymise_caller, retention_anonymise_expired


class Command(BaseCommand):
    help = (
        "Anonymise residents' personal data (PIPL): closed orders older than the retention period "
        "(HOTLINE_RETENTION_DAYS, what the daily beat task does), or every closed order of one caller "
        "on request (--phone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="retention period in days (default HOTLINE_RETENTION_DAYS)")
        parser.add_argument("--phone", help="anonymise this caller's closed orders (a resident's request)")
        parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
        parser.add_argument("--limit", type=int, help="at most this many orders (retention by age)")

    def handle(self, *args, days=None, phone=None, dry_run=False, limit=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        if phone is not None:
            if days is not None or limit is not None:
                raise CommandError("--phone cannot be combined with --days or --limit.")
            try:
                run = retention_anonymise_caller(phone=phone, dry_run=dry_run)
            except ValueError as exc:
                raise CommandError(f"--phone: {exc}") from None
        else:
            run = retention_anonymise_expired(days=days, dry_run=dry_run, limit=limit)
        verb = "would anonymise" if dry_run else "anonymised"
        for number in run.orders:
            self.stdout.write(f"{verb} {number}")
        for number in run.still_open:
            self.stdout.write(f"still open, not anonymised: {number}")
        self.stdout.write(
            f"{verb} {len(run.orders)} orders ({run.events} events, {run.notifications} notifications "
            f"redacted, {run.attachments} photos deleted)"
        )
