"""``sync-democracy-club`` against a local server replaying Democracy Club's candidates API and
EveryElection in their documented paged-JSON shapes (written by hand here, not fetched)."""

from __future__ import annotations

import copy
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command

from ballotguard.registry.democracy_club import SyncError, sync
from ballotguard.registry.models import Ballot, Candidate, SyncCursor

pytestmark = pytest.mark.django_db


def candidacy(person_id, name, party_id, party_name, elected=None):
    return {"elected": elected, "party_list_position": None, "party_name": party_name, "party_description_text": "",
            "person": {"id": person_id, "url": f"https://candidates.democracyclub.org.uk/api/next/people/{person_id}/", "name": name},
            "party": {"legacy_slug": f"party:{party_id[2:]}", "ec_id": party_id, "name": party_name, "created": "2020-01-01T00:00:00Z"},
            "created": "2024-05-30T10:00:00Z", "modified": "2024-06-01T10:00:00Z", "result": None}


def ballot(ballot_id, election_id, date, label, candidacies, last_updated, winner_count=1, cancelled=False):
    return {"url": f"https://candidates.democracyclub.org.uk/api/next/ballots/{ballot_id}/", "ballot_paper_id": ballot_id,
            "election": {"election_id": election_id, "name": "An election", "election_date": date, "current": True, "party_lists_in_use": False},
            "post": {"id": label.lower().replace(" ", "-"), "label": label, "slug": label.lower().replace(" ", "-")},
            "winner_count": winner_count, "cancelled": cancelled, "candidates_locked": True, "sopn": None,
            "candidacies": candidacies, "last_updated": last_updated, "created": "2024-05-01T00:00:00Z"}


BALLOTS = [
    ballot("parl.cities-of-london-and-westminster.2024-07-04", "parl.2024-07-04", "2024-07-04", "Cities of London and Westminster",
           [candidacy(1001, "Alice Archer", "PP53", "Labour Party"), candidacy(1002, "Bob Baker", "PP52", "Conservative and Unionist Party")],
           "2024-06-07T09:00:00Z"),
    ballot("parl.birmingham-yardley.2024-07-04", "parl.2024-07-04", "2024-07-04", "Birmingham Yardley",
           [candidacy(2001, "Carol Cooper", "PP53", "Labour Party"), candidacy(2002, "Dan Davies", "PP63", "Green Party"),
            candidacy(2003, "Fay Foster", "PP7931", "Reform UK")], "2024-06-08T10:00:00Z"),
    ballot("local.birmingham.yardley-east.2026-05-07", "local.birmingham.2026-05-07", "2026-05-07", "Yardley East",
           [candidacy(3001, "Erin Evans", "PP63", "Green Party"), candidacy(3002, "Gary Green", "PP53", "Labour Party")],
           "2026-04-10T12:00:00Z", winner_count=2),
    ballot("parl.atlantis.2024-07-04", "parl.2024-07-04", "2024-07-04", "Atlantis", [candidacy(9001, "Nemo", "PP53", "Labour Party")],
           "2024-06-01T08:00:00Z"),
]
ELECTIONS = [
    {"election_id": "parl.2024-07-04", "group_type": "election", "modified": "2024-05-23T10:00:00Z", "cancelled": False},
    {"election_id": "parl.birmingham-yardley.2024-07-04", "group_type": None, "seats_contested": 1, "cancelled": False,
     "modified": "2024-05-23T10:00:00Z", "poll_open_date": "2024-07-04"},
    {"election_id": "local.birmingham.yardley-east.2026-05-07", "group_type": None, "seats_contested": 2, "cancelled": True,
     "modified": "2026-04-20T10:00:00Z", "poll_open_date": "2026-05-07"},
    {"election_id": "local.birmingham.hodge-hill.2026-05-07", "group_type": None, "seats_contested": 3, "cancelled": False,
     "modified": "2026-04-20T10:00:00Z", "poll_open_date": "2026-05-07"},
]


class DemocracyClub(ThreadingHTTPServer):
    """Both APIs: paged (``page_size``, ``page``; ``next`` a full URL), filtered by ``last_updated``
    (candidates) or ``modified`` (EveryElection) as "changed after"."""

    def __init__(self):
        self.ballots, self.elections = copy.deepcopy(BALLOTS), copy.deepcopy(ELECTIONS)
        self.requests: list[tuple[str, dict]] = []
        self.broken = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                outer.requests.append((url.path, query))
                if outer.broken:
                    return self.reply(502, b"<html>Bad gateway</html>", "text/html")
                if url.path == "/api/next/ballots/":
                    items, stamp, key = outer.ballots, "last_updated", "last_updated"
                elif url.path == "/api/elections/":
                    items, stamp, key = outer.elections, "modified", "modified"
                else:
                    return self.reply(404, b'{"detail": "Not found."}')
                since = query.get(key, "")
                chosen = [i for i in items if not since or i[stamp].replace("Z", "+00:00") > since]
                size, page = int(query.get("page_size", 100)), int(query.get("page", 1))
                start = (page - 1) * size
                more = start + size < len(chosen)
                nxt = None
                if more:
                    nxt = f"http://127.0.0.1:{outer.server_address[1]}{url.path}?" + "&".join(f"{k}={v}" for k, v in {**query, "page": page + 1}.items())
                body = {"count": len(chosen), "next": nxt, "previous": None, "results": chosen[start:start + size]}
                self.reply(200, json.dumps(body).encode())

            def reply(self, code, data, kind="application/json"):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", 0), Handler)
        base = f"http://127.0.0.1:{self.server_address[1]}"
        self.candidates_url, self.elections_url = f"{base}/api/next/ballots/?page_size=2", f"{base}/api/elections/?page_size=2"


@pytest.fixture
def dc(world, settings):
    server = DemocracyClub()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BALLOTGUARD_DC_CANDIDATES_URL, settings.BALLOTGUARD_DC_ELECTIONS_URL = server.candidates_url, server.elections_url
    yield server
    server.shutdown()
    server.server_close()


def test_a_full_sync_imports_ballots_and_candidates_and_applies_everyelection(dc, world):
    report = sync()
    assert report.ballots_read == 4 and report.candidacies_read == 8
    assert report.candidates == {"created": 2, "updated": 0, "unchanged": 5}
    assert len(report.rejected) == 1 and "Atlantis" in report.rejected[0]
    assert Candidate.objects.get(person_id="2003").ballot.ballot_paper_id == "parl.birmingham-yardley.2024-07-04"
    assert Candidate.objects.get(person_id="3002").party.party_id == "PP53"
    assert Ballot.objects.get(ballot_paper_id="local.birmingham.yardley-east.2026-05-07").cancelled  # from EveryElection
    assert (report.ee_ballots_read, report.ee_ballots_updated, report.ee_ballots_unknown) == (3, 1, 1)
    assert len([r for r in dc.requests if r[0] == "/api/next/ballots/"]) == 2  # followed "next"
    assert SyncCursor.objects.get(name="candidates").cursor == "2026-04-10T12:00:00+00:00"
    assert SyncCursor.objects.get(name="everyelection").cursor == "2026-04-20T10:00:00+00:00"


def test_incremental_runs_ask_for_what_changed_and_are_idempotent(dc, world):
    sync()
    dc.requests.clear()
    again = sync()
    ballots_asked = [q for path, q in dc.requests if path == "/api/next/ballots/"]
    assert ballots_asked[0]["last_updated"] == "2026-04-10T11:59:00+00:00"  # the cursor, less a minute of overlap
    assert again.ballots_read == 1 and again.candidates == {"created": 0, "updated": 0, "unchanged": 2}
    # Democracy Club learns of a new candidate in Yardley and corrects a name.
    yardley = dc.ballots[1]
    yardley["candidacies"].append(candidacy(2004, "Hana Hussain", "PP90", "Liberal Democrats"))
    yardley["candidacies"][2]["person"]["name"] = "Fay Foster-Jones"
    yardley["last_updated"] = "2026-05-01T08:00:00Z"
    third = sync()
    # Yardley, and Yardley East again (it sits inside the minute of overlap): unchanged, not duplicated.
    assert third.ballots_read == 2 and third.candidates == {"created": 1, "updated": 1, "unchanged": 4}
    assert Candidate.objects.get(person_id="2003").name == "Fay Foster-Jones"
    assert Candidate.objects.filter(person_id="2004").exists()
    assert SyncCursor.objects.get(name="candidates").cursor == "2026-05-01T08:00:00+00:00"


def test_a_broken_source_changes_nothing_and_keeps_the_cursor(dc, world):
    dc.broken = True
    with pytest.raises(SyncError, match="answered HTTP 502") as err:
        sync()
    assert "127.0.0.1" in str(err.value) and not Candidate.objects.filter(person_id="2003").exists()
    assert not SyncCursor.objects.exists()
    dc.broken = False
    dc.ballots[0]["candidacies"] = "not a list"  # a malformed ballot: its candidacies are ignored, the rest import
    assert sync().malformed == 1
    assert Candidate.objects.filter(person_id="2003").exists()


def test_a_page_without_results_is_refused(dc, world, settings):
    settings.BALLOTGUARD_DC_CANDIDATES_URL = dc.candidates_url.replace("/api/next/ballots/", "/api/nothing/")
    with pytest.raises(SyncError, match="HTTP 404"):
        sync()


def test_the_command_prints_a_report(dc, world, capsys):
    call_command("sync_democracy_club", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["candidates"]["created"] == 2 and out["rejected_count"] == 1
    call_command("sync_democracy_club")
    assert "0 created" in capsys.readouterr().out
