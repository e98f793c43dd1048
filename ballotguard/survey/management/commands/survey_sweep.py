"""``ballotguard survey-sweep [--loop SECONDS] [--here]``: queue the survey's invitations and reminders."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from ballotguard.core.schedule import run_every
from ballotguard.survey.services import sweep
from ballotguard.survey.tasks import survey_sweep


class Command(BaseCommand):
    help = (
        "Invite every candidate of an election whose survey is open (after polling day, up to its closing date) and "
        "remind those who have not responded 7 and 2 days before it closes. By default the task worker "
        "(ballotguard db_worker) does the sending: this queues it. --here sends in this process instead. "
        "Keep it running with --loop 3600; nothing is sent twice, after the closing date, or to anyone who has responded."
    )

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=int, default=0, metavar="SECONDS", help="Run again every SECONDS until stopped (default: once).")
        parser.add_argument("--here", action="store_true", help="Send in this process rather than queueing it for the task worker.")

    def handle(self, *args, loop: int, here: bool, **options):
        def once(first: bool) -> None:
            if here:
                self.stdout.write("Survey sweep: " + json.dumps(sweep().as_dict(), sort_keys=True))
            else:
                survey_sweep.enqueue()
                self.stdout.write("Survey sweep queued for the task worker.")

        run_every(loop, once)
