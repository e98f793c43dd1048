"""``ballotguard train-threat-model``: rebuild the learned threat scorer from data nobody here wrote.

The committed artefact ``ballotguard/engines/abuse/models/threat-v2.json`` is exactly what::

    ballotguard train-threat-model --data-dir ../shared/data/abuse --out ballotguard/engines/abuse/models/threat-v2.json --seed 2021

writes (the recipe is in :mod:`ballotguard.engines.abuse.threat_training`; the model card is
``docs/model-card-threats.md``). It takes about half a minute on two cores and needs scikit-learn
and SciPy, which scoring does not load.
"""

from __future__ import annotations

import pathlib
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from rich.console import Console
from rich.table import Table

from ballotguard.engines.abuse import threat_model
from ballotguard.engines.abuse import threat_training

DEFAULT_DATA_DIR = pathlib.Path(settings.BASE_DIR).parent / "shared" / "data" / "abuse"


class Command(BaseCommand):
    help = (
        "Train the learned threat scorer (harm x target x intent features, sign-constrained logistic regression, Platt "
        "calibration) on HateCheck's training template families and non-threatening OLID and Davidson tweets; measure it "
        "on HateCheck's held-out template families and held-out tweets, and write the artefact (JSON) with those figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", type=pathlib.Path, default=DEFAULT_DATA_DIR, help=f"Directory with hatecheck2021/, olid2019/ and davidson2017/ (default {DEFAULT_DATA_DIR}).")
        parser.add_argument("--out", type=pathlib.Path, default=threat_model.DEFAULT_ARTIFACT, help="Where to write the JSON artefact (default: the committed model).")
        parser.add_argument("--seed", type=int, default=threat_training.SEED, help=f"Seed of the template split (default {threat_training.SEED}).")

    def handle(self, *args, data_dir: pathlib.Path, out: pathlib.Path, seed: int, **options):
        console = Console(stderr=False)
        for needed in (threat_training.HATECHECK_FILE, threat_training.at.OLID_FILE, threat_training.at.DAVIDSON_FILE):
            if not (data_dir / needed).is_file():
                raise CommandError(f"Labelled data not found: expected {data_dir / needed} (pass --data-dir, e.g. ../shared/data/abuse).")
        if not out.parent.is_dir():
            raise CommandError(f"Output directory does not exist: {out.parent}")
        start = time.perf_counter()
        model, figures = threat_training.train_default(data_dir, seed=seed, progress=console.log)
        model.save(out)
        console.print(f"Wrote {out} ({out.stat().st_size:,} bytes) in {time.perf_counter() - start:.1f} s.")
        table = Table(title=f"Threat model {model.version}: threshold {model.threshold:.3f} (rules or model flag)", title_justify="left")
        for column in ("Held-out set", "Rows", "Threat recall", "False alarms"):
            table.add_column(column, justify="left" if column == "Held-out set" else "right")
        hc = figures["hatecheck_test"]
        table.add_row("HateCheck test templates: threat functionalities (recall), non-threats (false alarms)", f"{hc['n_threats'] + hc['n_non_threats']:,}", f"{hc['strict_recall']:.3f}", f"{hc['false_alarms']:.3f}")
        table.add_row("HateCheck test templates: all threatening cases", "", f"{hc['recall']:.3f}", "")
        table.add_row("  every case outside the threat functionalities (threatening variants counted as false alarms)", "", "", f"{hc['strict_false_alarms']:.3f}")
        for key, label in (("tweets_ordinary", "ordinary tweets (OLID NOT, Davidson neither)"), ("olid_untargeted", "OLID untargeted profanity"), ("olid_targeted_insult_or_threat", "OLID targeted insults or threats (flag rate)")):
            if key in figures:
                table.add_row(label, f"{figures[key]['n']:,}", "", f"{figures[key]['flag_rate']:.3f}")
        console.print(table)
