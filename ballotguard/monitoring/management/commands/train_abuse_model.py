"""``ballotguard train-abuse-model``: rebuild the abuse model from the labelled data in ../shared/data/abuse.

The committed artifact ``ballotguard/engines/abuse/models/abuse-v1.{npz,json}`` is exactly what::

    ballotguard train-abuse-model --data-dir ../shared/data/abuse --out ballotguard/engines/abuse/models/abuse-v1 --seed 2019

writes (the recipe is in :mod:`ballotguard.engines.abuse.training`; the model card is
``docs/model-card-abuse.md``). Training takes about 15 seconds on two cores and needs scikit-learn,
which the service that scores messages does not load.
"""

from __future__ import annotations

import pathlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from ballotguard.engines.abuse import training as abuse_training

DEFAULT_DATA_DIR = pathlib.Path(settings.BASE_DIR).parent / "shared" / "data" / "abuse"
DEFAULT_OUT = pathlib.Path(abuse_training.__file__).resolve().parent / "models" / "abuse-v1"


class Command(BaseCommand):
    help = (
        "Train the abuse-scoring model (hashed word and character n-grams, NB-weighted logistic regression) on "
        "the OLID training set, hold out a fixed 20% of it for validation, and write the artifact (NumPy arrays "
        "plus JSON, no pickle) with its validation figures. Davidson et al. 2017 is used for the cross-dataset test."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR, help=f"Directory with olid2019/ and davidson2017/ (default {DEFAULT_DATA_DIR}).")
        parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="Artifact path without extension: writes OUT.npz and OUT.json (default: the committed model).")
        parser.add_argument("--feedback-csv", type=pathlib.Path, default=None, help="Extra labelled rows from reviewers: a CSV with columns text,is_abusive (1/0).")
        parser.add_argument("--with-review-feedback", action="store_true",
                            help="Add every message reviewers have decided on (latest decision: dismissed = not abusive, confirmed or promoted = abusive) "
                            "to the training data. Off by default so the committed artifact rebuilds exactly; reading the texts is audited.")
        parser.add_argument("--seed", type=int, default=abuse_training.SEED, help=f"Seed of the hold-out and inner splits (default {abuse_training.SEED}).")

    def review_feedback(self) -> list[tuple[str, bool]]:
        """Reviewers' decisions from the review queue, as (text, is_abusive) rows."""
        from ballotguard.accounts.services import Actor
        from ballotguard.monitoring.services import feedback_rows

        return feedback_rows(Actor.cli())

    def handle(self, *args, data_dir: pathlib.Path, out: pathlib.Path, feedback_csv, seed: int, with_review_feedback: bool = False, **options):
        console = Console(stderr=False)
        olid = data_dir / abuse_training.OLID_FILE
        if not data_dir.is_dir() or not olid.is_file():
            raise CommandError(f"Labelled data not found: expected {olid} (pass --data-dir, e.g. ../shared/data/abuse).")
        feedback_rows = self.review_feedback() if with_review_feedback else []
        if with_review_feedback:
            console.print(f"Review queue: {len(feedback_rows):,} decided messages.")
        if feedback_csv is not None:
            if not feedback_csv.is_file():
                raise CommandError(f"Feedback file not found: {feedback_csv}")
            try:
                feedback_rows = [*feedback_rows, *abuse_training.read_feedback_csv(feedback_csv)]
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        if feedback_rows:
            console.print(f"Adding {len(feedback_rows):,} reviewer feedback rows to the training data.")

        start = time.perf_counter()
        with console.status("Training the abuse model…") as status:
            def progress(message: str) -> None:
                status.update(f"[bold]{message}")
                console.log(message)

            model, figures = abuse_training.train_default(data_dir, extra=feedback_rows, seed=seed, progress=progress)
            npz, meta = abuse_training.save_artifact(model, out)
        console.print(f"Wrote {npz} ({npz.stat().st_size / 1024:,.0f} KiB) and {meta} in {time.perf_counter() - start:.1f} s.")

        table = Table(
            title=f"Abuse model {model.version}: threshold {model.threshold:.2f} (macro-F1), review threshold {model.review_threshold:.2f} "
            f"(precision-first), C={model.metadata['classifier']['C']:g}",
            title_justify="left",
        )
        for column in ("Test set", "Rows", "Macro-F1", "Abusive P", "Abusive R", "Not P", "Not R"):
            table.add_column(column, justify="left" if column == "Test set" else "right")
        names = {
            "olid_validation": "OLID held-out validation (20%)",
            "olid_validation_at_review_threshold": "  same, at the review threshold",
            "davidson_all_trained_on_olid": "Davidson, all rows (cross-dataset)",
        }
        for key, fig in figures.items():
            table.add_row(
                names.get(key, key), f"{fig['n']:,}", f"{fig['macro_f1']:.4f}",
                f"{fig['abusive']['precision']:.3f}", f"{fig['abusive']['recall']:.3f}", f"{fig['not']['precision']:.3f}", f"{fig['not']['recall']:.3f}",
            )
        console.print(table)
