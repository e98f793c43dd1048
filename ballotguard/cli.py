"""The ``ballotguard`` command: Django's management commands under the product's name.

``ballotguard import-geography DIR`` is ``manage.py import_geography DIR``; hyphens and underscores
are interchangeable so commands read as English on the command line.
"""

import os
import sys

# Commands that read and write files only, never the database: they run without the service's secrets
# (see ``FILE_ONLY`` in settings), so an analyst can score or cluster an export on any machine.
FILE_ONLY_COMMANDS = frozenset({"score_messages", "detect_campaigns", "train_abuse_model", "train_threat_model"})


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ballotguard.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
        if argv[1] in FILE_ONLY_COMMANDS:
            os.environ.setdefault("BALLOTGUARD_FILE_ONLY", "1")
    argv[0] = "ballotguard"
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
