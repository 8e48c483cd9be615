from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from open311.services import open311_api_key_create


class Command(BaseCommand):
    help = "Create an Open311 api_key and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--user", help="username of the service account the orders are submitted as")

    def handle(self, *args, name, user=None, **options):
        account = None
        if user:
            try:
                account = get_user_model().objects.get(username=user)
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user {user!r}") from None
        _key, raw = open311_api_key_create(name=name, user=account)
        self.stdout.write(raw)
