from django.core.management.base import BaseCommand

from triage.training import models_train


class Command(BaseCommand):
    help = "Train the category and unit models on the order history; activate each if not worse."

    def handle(self, *args, **options):
        for result in models_train():
            state = "activated" if result.activated else "not activated"
            version = f"version {result.version.pk}" if result.version else "no version"
            self.stdout.write(f"{result.kind}: {version}, {state} — {result.reason}")
