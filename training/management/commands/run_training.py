"""The training child process: `manage.py run_training <run id>` (started by the queue task)."""

import sys

from django.core.management.base import BaseCommand

from training import pipeline


class Command(BaseCommand):
    help = "Run one claimed training run to Success or Failed (started by the worker)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("run_id", type=int)

    def handle(self, *args, run_id: int, **options) -> None:
        try:
            pipeline.run(run_id)
        except Exception as exc:  # already recorded on the run; the exit code tells the parent
            self.stderr.write(f"training failed: {exc}")
            sys.exit(1)
