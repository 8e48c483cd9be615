from django.core.management.base import BaseCommand, CommandError

from care.retention import care_anonymise_expired, care_anonymise_person
from dispatch.retention import retention_anonymise_caller, retention_anonymise_expired


class Command(BaseCommand):
    help = (
        "Anonymise residents' personal data (PIPL): closed orders older than the retention period "
        "(HOTLINE_RETENTION_DAYS) and key residents off the roll for longer than HOTLINE_CARE_RETENTION_DAYS "
        "(what the daily beat task does), or every closed order and every key-resident record off the roll "
        "of one person on request (--phone)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, help="retention period in days (default HOTLINE_RETENTION_DAYS)")
        parser.add_argument(
            "--care-days", type=int, help="key residents' retention period (default HOTLINE_CARE_RETENTION_DAYS)"
        )
        parser.add_argument("--phone", help="anonymise this person's closed orders and care records (a request)")
        parser.add_argument("--dry-run", action="store_true", help="print what would change, change nothing")
        parser.add_argument("--limit", type=int, help="at most this many orders and residents each (retention by age)")

    def handle(self, *args, days=None, care_days=None, phone=None, dry_run=False, limit=None, **options):
        if days is not None and days < 1:
            raise CommandError("--days must be at least 1.")
        if care_days is not None and care_days < 1:
            raise CommandError("--care-days must be at least 1.")
        if phone is not None:
            if days is not None or care_days is not None or limit is not None:
                raise CommandError("--phone cannot be combined with --days, --care-days or --limit.")
            try:
                run = retention_anonymise_caller(phone=phone, dry_run=dry_run)
                care = care_anonymise_person(phone=phone, dry_run=dry_run)
            except ValueError as exc:
                raise CommandError(f"--phone: {exc}") from None
        else:
            run = retention_anonymise_expired(days=days, dry_run=dry_run, limit=limit)
            care = care_anonymise_expired(days=care_days, dry_run=dry_run, limit=limit)
        verb = "would anonymise" if dry_run else "anonymised"
        for number in run.orders:
            self.stdout.write(f"{verb} {number}")
        for number in run.still_open:
            self.stdout.write(f"still open, not anonymised: {number}")
        for pk in care.residents:
            self.stdout.write(f"{verb} key resident #{pk}")
        for pk in care.on_roll:
            self.stdout.write(f"key resident #{pk} still on the roll, not anonymised: take them off it first")
        self.stdout.write(
            f"{verb} {len(run.orders)} orders ({run.events} events, {run.notifications} notifications "
            f"redacted, {run.attachments} photos deleted)"
        )
        self.stdout.write(f"{verb} {len(care.residents)} key residents ({care.visits} visit notes removed)")
