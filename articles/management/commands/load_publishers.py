from django.core.management.base import BaseCommand, CommandError

from articles.catalogue import CatalogueError, publishers_load_catalogue


class Command(BaseCommand):
    help = "Load the shipped publisher catalogue into the database. Idempotent: run it on every start."

    def add_arguments(self, parser):
        parser.add_argument("--path", help="a catalogue file other than articles/data/publishers.json")

    def handle(self, *args, path: str | None = None, **options):
        try:
            result = publishers_load_catalogue(path=path)
        except CatalogueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Catalogue loaded. {result.summary()}")
