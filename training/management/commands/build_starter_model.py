"""``manage.py build_starter_model``: build the offline English starter model.

Thin wrapper around :func:`training.engine.starter.build.main` (also runnable
without Django as ``python -m training.engine.starter.build``)."""

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Build the synthetic-speech English starter ASR model into models/en-us-general"

    def add_arguments(self, parser):
        parser.add_argument("--out", default="models/en-us-general")
        parser.add_argument("--work-dir", default="/var/tmp/starter-build")
        parser.add_argument("--stages", default="corpus,train,package,evaluate")
        parser.add_argument("--train-budget-s", type=float, default=6000.0)
        parser.add_argument("--n-train", type=int, default=16000)
        parser.add_argument("--extra-shards", type=int, default=1)
        parser.add_argument("--checkpoint", default=None)

    def handle(self, *args, **opts):
        from training.engine.starter.build import main

        def log(msg):
            self.stdout.write(msg)

        main(
            out=opts["out"],
            work_dir=opts["work_dir"],
            stages=tuple(s for s in opts["stages"].split(",") if s),
            train_budget_s=opts["train_budget_s"],
            n_train=opts["n_train"],
            extra_shards=opts["extra_shards"],
            checkpoint=opts["checkpoint"],
            log=log,
        )
