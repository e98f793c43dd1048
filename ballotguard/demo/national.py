"""The national insights demo: every constituency, fake candidates, generated incidents.

What it builds (all of it DEMO DATA)
    When the reference data is present (``../shared/data/uk``), ``ballotguard demo`` imports the real
    geography (650 constituencies with their hex map positions, the 45 police forces, regions,
    councils, wards: the same GSS codes as the hand-typed demo places, which are upserted, not
    duplicated), then builds two general elections:

    * **GE2024** (``parl.2024-07-04``): in every constituency, as many fake candidates as really
      stood, with the real mix of parties and genders (counted from Democracy Club's candidate list
      and the House of Commons Library's results, which give gender). 4,515 candidates, 1,386 women.
    * **GE2019** (``parl.2019-12-12``): the 3,320 candidates of 2019 with their real party and gender
      mix, as fake people, for the "alarming rise" comparison. The demo places them on the 2024
      boundaries (a 2019 seat goes to the 2024 seat of the same name, or the next one left in the
      same nation): there is no 2019 geography in the reference data, and the demo only needs a
      denominator per seat.

    Then incidents, generated so that the figures reproduce what the Electoral Commission reported
    for the 2024 general election: **55 %** of candidates reported harassment, abuse or intimidation,
    **13 %** something serious (here: a high-risk incident, as scored by ``engines.incidents.risk``), women far
    more than men (here about 71 % of women and 48 % of men, women reporting more incidents each:
    an incident rate ratio near 1.8), about **21 %** of incidents carrying a police crime reference,
    and fewer incidents per candidate in 2019 (rate ratio 2024/2019 near 1.9). Shares are exact by
    construction (each gender's affected candidates are drawn without replacement), so they hold in
    a small subset as well as nationally. Incidents fall across the campaign weeks (more as polling
    day nears), with behaviours, places, platforms, protected characteristics and issue tags
    (``engines.incidents.facts.IssueTag``); most are closed, some triaged or waiting, a few high-risk
    ones still wait for triage in the forces with the weakest coverage.

    Coverage differs by police force on purpose: each force gets a "quality" spread evenly from
    poor to good (shuffled by the seed), which sets how many of its candidates' details were handed
    over, how many its adviser reached and how fast, how many came to a briefing, and how fast its
    incidents were triaged. Each force without a demo adviser gets one (``demo-feoa-<code>``, no
    password: it cannot sign in), named on the outreach records and timelines.

Why the candidates are fake even though the real list is at hand
    Invented incidents must never sit next to real people's names. "Jane Smith (Labour, Hitchin)
    received a threat to kill" is a statement about a real, identifiable person: if false it is
    inaccurate personal data about them (UK GDPR, Article 5(1)(d)), it may be defamatory, and a
    screenshot of a demo dashboard or briefing pack can travel far from the words "demo data". So
    the people are Faker en_GB names; only the places, the parties and the counts are real. The fake
    candidates carry no contact details at all (handed-over ones are flagged as handed over, with
    consent, but hold nothing that could reach anyone), so no demo record can contact a real
    person. For the same reason ``ballotguard demo --real-candidates`` never builds this part.

How it is labelled
    As the rest of the demo: elections named "(demo data)", person ids and user names starting
    ``demo-``, briefings "(demo)", and every incident's description (and advice, and timeline)
    starting "DEMO DATA".

How it stays fast (``make run`` runs it on a fresh machine; about 30 s on a 2-core machine)
    Everything is planned first in pure Python (:func:`plan_national`: seeded, deterministic, no
    database), then written with ``bulk_create`` in one transaction. An incident's description is
    sealed under a data key of its own (``ballotguard.core.erasure``: erasing one incident must not
    erase another), and each key file is fsynced before use, about 10 ms each; the keys are made in
    a thread pool beforehand, so the fsyncs overlap. ``bulk_create`` still runs each field's
    ``pre_save``, which seals the values under the key already recorded on the incident.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ballotguard.engines.incidents.facts import Behaviour, IncidentFacts, IssueTag, Place, ProtectedCharacteristic
from ballotguard.engines.incidents.risk import RiskLevel, assess_risk

GE2024_ID = "parl.2024-07-04"
GE2019_ID = "parl.2019-12-12"
GE2024_DATE = dt.date(2024, 7, 4)
GE2019_DATE = dt.date(2019, 12, 12)
GE2024_NAME = "UK Parliament general election 2024 (demo data)"
GE2019_NAME = "UK Parliament general election 2019 (demo data)"
DEMO_MARK = "DEMO DATA"

DC_CANDIDATES = Path("candidates") / "ge2024_candidates_democracyclub.csv"
HOC_2024 = Path("results") / "HoC-GE2024-results-by-candidate.csv"
HOC_2019 = Path("results") / "HoC-GE2019-results-by-candidate.csv"
FORCE_LOOKUP = Path("geography") / "pcon24_pfa_derived.csv"
GEOGRAPHY = Path("geography")
NEEDED = (DC_CANDIDATES, HOC_2024, HOC_2019, FORCE_LOOKUP, GEOGRAPHY / "pcon24_names_codes_ons.csv")


@dataclass(frozen=True)
class Profile:
    """The shape of one election's demo incidents."""

    share: dict[str, float]  # gender → share of candidates with at least one incident
    mean_incidents: dict[str, float]  # gender → mean incidents of an affected candidate
    serious_share: float  # share of all candidates with a high-risk incident
    crime_reference_serious: float
    crime_reference_other: float
    start: dt.date  # the campaign weeks
    end: dt.date


GE2024_PROFILE = Profile(
    # 0.307 × 0.71 + 0.691 × 0.48 + a few non-binary ≈ 0.55 (Electoral Commission: 55 %).
    share={"female": 0.71, "male": 0.48, "non_binary": 0.75, "": 0.55},
    mean_incidents={"female": 1.9, "male": 1.6, "non_binary": 1.9, "": 1.7},
    serious_share=0.13,
    crime_reference_serious=0.6, crime_reference_other=0.165,  # about 21 % of incidents in all
    start=dt.date(2024, 5, 22), end=dt.date(2024, 7, 5),
)
GE2019_PROFILE = Profile(
    share={"female": 0.45, "male": 0.30, "non_binary": 0.45, "": 0.35},
    mean_incidents={"female": 1.6, "male": 1.35, "non_binary": 1.6, "": 1.4},
    serious_share=0.07,
    crime_reference_serious=0.5, crime_reference_other=0.08,
    start=dt.date(2019, 10, 29), end=dt.date(2019, 12, 13),
)

# Party multipliers on the chance of being targeted: mild, so that party differences show without
# drowning the gender gap. Matched on words in the party name.
PARTY_WEIGHTS = (("reform", 1.25), ("brexit", 1.25), ("conservative", 1.15), ("labour", 1.15), ("green", 1.0),
                 ("liberal democrat", 0.95), ("scottish national", 1.1), ("plaid", 1.0), ("independent", 0.9))

# 2019 HoC party names → the names the 2024 list (and the hand-typed demo) uses for the same party.
PARTY_NAMES_2019 = {
    "Conservative": "Conservative and Unionist Party", "Labour": "Labour Party", "Liberal Democrat": "Liberal Democrats",
    "Green": "Green Party", "Scottish National Party": "Scottish National Party (SNP)",
    "Labour and Co-operative": "Labour and Co-operative Party", "Plaid Cymru": "Plaid Cymru - The Party of Wales",
    "Independent": "Independent", "Brexit Party": "The Brexit Party",
}

PLATFORMS = (("X", 34), ("Facebook", 26), ("Instagram", 10), ("TikTok", 8), ("YouTube", 4), ("WhatsApp", 6), ("Email", 12))
ISSUES_2024 = ((IssueTag.MIDDLE_EAST_CONFLICT, 22), (IssueTag.IMMIGRATION, 20), (IssueTag.CLIMATE_AND_NET_ZERO, 11),
               (IssueTag.LOCAL_TRAFFIC_AND_PLANNING, 12), (IssueTag.GENDER_AND_SEXUALITY, 8), (IssueTag.COST_OF_LIVING, 12),
               (IssueTag.HEALTH_AND_VACCINES, 5), (IssueTag.OTHER_ISSUE, 10))
ISSUES_2019 = ((IssueTag.OTHER_ISSUE, 45), (IssueTag.IMMIGRATION, 15), (IssueTag.CLIMATE_AND_NET_ZERO, 12),
               (IssueTag.LOCAL_TRAFFIC_AND_PLANNING, 10), (IssueTag.COST_OF_LIVING, 8), (IssueTag.HEALTH_AND_VACCINES, 10))

B = Behaviour
P = Place


@dataclass(frozen=True)
class Template:
    """One kind of incident: what happened, where, and the words of its demo description."""

    key: str
    place: Place
    behaviours: tuple[Behaviour, ...]
    text: str
    weight: float
    home_address_known: bool = False
    weapon_mentioned: bool = False
    perpetrator_known: bool = False
    hostility_chance: float = 0.0  # chance it is hostility on a protected characteristic (before the gender boost)


# Everyday incidents: all score below HIGH in engines.incidents.risk, whatever characteristic is added.
EVERYDAY = (
    Template("abuse_online", P.ONLINE, (B.ABUSIVE_OR_HATEFUL_MESSAGE,), "Abusive replies and messages on {platform}", 40, hostility_chance=0.25),
    Template("false_statements", P.ONLINE, (B.FALSE_STATEMENT_ABOUT_CHARACTER,), "False claims about my character shared on {platform}", 8),
    Template("deepfake", P.ONLINE, (B.IMPERSONATION_OR_DEEPFAKE,), "An account impersonating me posted on {platform}", 3),
    Template("threat_online", P.ONLINE, (B.THREAT_TO_KILL_OR_HARM, B.ABUSIVE_OR_HATEFUL_MESSAGE), "A message on {platform} saying I would be hurt", 6, hostility_chance=0.2),
    Template("calls", P.PHONE, (B.REPEATED_UNWANTED_CONTACT,), "Repeated calls and texts to my campaign phone", 6),
    Template("letter", P.POST, (B.ABUSIVE_OR_HATEFUL_MESSAGE,), "An abusive letter delivered to the campaign office", 5, hostility_chance=0.3),
    Template("posters", P.OTHER, (B.DAMAGE_TO_PROPERTY,), "Campaign posters and boards torn down or defaced", 10),
    Template("event", P.HUSTINGS, (B.INTIMIDATION_AT_EVENT,), "Shouted down and crowded at a hustings", 8, hostility_chance=0.15),
    Template("canvassing", P.STREET_CANVASSING, (B.ABUSIVE_OR_HATEFUL_MESSAGE,), "Sworn at and blocked while canvassing", 8, hostility_chance=0.15),
    Template("doxxing", P.ONLINE, (B.PUBLISHING_HOME_ADDRESS,), "My home address posted on {platform}", 2),
    Template("loitering", P.CAMPAIGN_EVENT, (B.FOLLOWING_OR_LOITERING,), "The same man followed our team between campaign stops", 3),
)
# Serious incidents: each scores HIGH in engines.incidents.risk.
SERIOUS = (
    Template("assault", P.STREET_CANVASSING, (B.ASSAULT,), "Pushed and spat at while canvassing", 4),
    Template("threat_home", P.ONLINE, (B.THREAT_TO_KILL_OR_HARM,), "A threat to kill me on {platform}, naming my street", 4, home_address_known=True, hostility_chance=0.2),
    Template("at_home", P.HOME, (B.TURNING_UP_AT_HOME, B.THREAT_TO_KILL_OR_HARM), "A man came to my home and threatened me", 3),
    Template("sexual_threat", P.ONLINE, (B.THREAT_OF_SEXUAL_VIOLENCE,), "A threat of sexual violence on {platform} that mentioned my home", 2, home_address_known=True),
    Template("weapon", P.PHONE, (B.THREAT_TO_KILL_OR_HARM,), "A caller threatened to stab me", 1, weapon_mentioned=True),
    Template("hustings_threat", P.HUSTINGS, (B.THREAT_TO_KILL_OR_HARM, B.INTIMIDATION_AT_EVENT), "Threatened face to face after a hustings", 2),
)
HOSTILITY = {  # which characteristic hostility is about, by the candidate's gender
    "female": ((ProtectedCharacteristic.SEX, 55), (ProtectedCharacteristic.RACE, 20), (ProtectedCharacteristic.RELIGION, 15),
               (ProtectedCharacteristic.SEXUAL_ORIENTATION, 6), (ProtectedCharacteristic.DISABILITY, 4)),
    "other": ((ProtectedCharacteristic.RACE, 38), (ProtectedCharacteristic.RELIGION, 30), (ProtectedCharacteristic.SEXUAL_ORIENTATION, 17),
              (ProtectedCharacteristic.TRANSGENDER_IDENTITY, 5), (ProtectedCharacteristic.DISABILITY, 5), (ProtectedCharacteristic.SEX, 5)),
}


# ---------------------------------------------------------------------------------------------------
# Reference data


@dataclass(frozen=True)
class Seat:
    code: str
    name: str
    force: str  # primary police force code


@dataclass(frozen=True)
class Stand:
    """One real candidacy, reduced to what the demo copies: party and gender, and whether they won."""

    party_name: str
    party_key: str
    gender: str  # "female", "male", "non_binary" or ""
    elected: bool


@dataclass
class Reference:
    seats: list[Seat]
    ge2024: dict[str, list[Stand]]  # seat code → stands
    ge2019: dict[str, list[Stand]]  # 2024 seat code → 2019 stands placed there


def skip_reason(data_dir: Path) -> str | None:
    """Why the national demo cannot be built from ``data_dir``, or None if it can."""
    missing = [str(p) for p in NEEDED if not (Path(data_dir) / p).exists()]
    if missing:
        return f"the reference data is not in {data_dir} (missing {', '.join(missing)})"
    return None


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def _gender(text: str) -> str:
    return {"female": "female", "male": "male", "non-binary": "non_binary"}.get(text.strip().lower(), "")


def _name_key(text: str) -> str:
    return "".join(ch for ch in text.lower().replace("&", "and") if ch.isalnum())


def _spread(seats: list[Seat], n: int) -> list[Seat]:
    """n seats evenly spaced through each nation's list, every nation with at least one."""
    nations: dict[str, list[Seat]] = defaultdict(list)
    for seat in seats:
        nations[seat.code[0]].append(seat)
    share = {k: max(1, round(n * len(v) / len(seats))) for k, v in nations.items()}
    while sum(share.values()) > max(n, len(nations)):
        biggest = max(share, key=lambda k: (share[k], k))
        share[biggest] -= 1
    while sum(share.values()) < n:
        biggest = max(nations, key=lambda k: (len(nations[k]) / share[k], k))
        share[biggest] += 1
    out = [group[int(i * len(group) / share[k])] for k, group in nations.items() for i in range(min(share[k], len(group)))]
    return sorted(out, key=lambda s: s.code)


def load_reference(data_dir: Path, constituencies: int | None = None) -> Reference:
    """Read the seats, the GE2024 mix per seat and the GE2019 mix; ``constituencies`` keeps an evenly
    spread subset (every nation) for quick runs and tests."""
    data_dir = Path(data_dir)
    forces = {r["pcon24cd"]: r["pfa_code"] for r in _rows(data_dir / FORCE_LOOKUP) if r["is_primary"].strip().lower() == "true"}
    names = {r["PCON24CD"]: r["PCON24NM"] for r in _rows(data_dir / GEOGRAPHY / "pcon24_names_codes_ons.csv")}
    seats = [Seat(code, names[code], forces[code]) for code in sorted(names) if code in forces]
    if constituencies is not None and constituencies < len(seats):
        seats = _spread(seats, constituencies)

    hoc = _rows(data_dir / HOC_2024)
    gender_by_person = {r["DC Person ID"].strip(): _gender(r["Candidate gender"]) for r in hoc if r["DC Person ID"].strip()}
    gender_by_name = {(r["ONS ID"], _name_key(f"{r['Candidate first name']} {r['Candidate surname']}")): _gender(r["Candidate gender"]) for r in hoc}
    winners: dict[str, tuple[int, str, str]] = {}
    for r in hoc:
        votes = int(r["Votes"] or 0)
        if votes > winners.get(r["ONS ID"], (-1, "", ""))[0]:
            winners[r["ONS ID"]] = (votes, r["DC Person ID"].strip(), _name_key(f"{r['Candidate first name']} {r['Candidate surname']}"))
    ge2024: dict[str, list[Stand]] = defaultdict(list)
    dc_rows = _rows(data_dir / DC_CANDIDATES)
    dc_people = {(r["pcon24cd"], r["person_id"].strip()) for r in dc_rows}
    for r in sorted(dc_rows, key=lambda r: (r["pcon24cd"], r["party_name"], r["person_id"])):
        code, person, key = r["pcon24cd"], r["person_id"].strip(), _name_key(r["person_name"])
        gender = gender_by_person.get(person) or gender_by_name.get((code, key), "")
        winner = winners.get(code)
        # The winner by DC person id; by name only where DC gave the winner another id (a merge).
        elected = bool(winner) and (winner[1] == person if (code, winner[1]) in dc_people else winner[2] == key)
        ge2024[code].append(Stand(r["party_name"].strip(), r["party_key"].strip(), gender, elected))

    # GE2019: 2010-boundary seats. Same name first, then in order within the nation, then any.
    old: dict[str, list[dict[str, str]]] = defaultdict(list)
    old_names: dict[str, str] = {}
    for r in _rows(data_dir / HOC_2019):
        old[r["ons_id"]].append(r)
        old_names[r["ons_id"]] = r["constituency_name"]
    all_seats = [Seat(code, names[code], forces[code]) for code in sorted(names) if code in forces]
    new_by_name = {_name_key(s.name): s.code for s in all_seats}
    placed: dict[str, str] = {}
    for code in sorted(old):
        target = new_by_name.get(_name_key(old_names[code]))
        if target and target not in placed.values():
            placed[code] = target
    taken = set(placed.values())
    for nation_old, nation_new in (("E", "E"), ("W", "W"), ("S", "S"), ("N", "N"), ("", "")):
        free = [s.code for s in all_seats if s.code not in taken and s.code.startswith(nation_new)]
        for code in sorted(c for c in old if c not in placed and c.startswith(nation_old)):
            if not free:
                break
            placed[code] = free.pop(0)
            taken.add(placed[code])
    ge2019: dict[str, list[Stand]] = defaultdict(list)
    for code, rows in old.items():
        top = max(rows, key=lambda r: int(r["votes"] or 0))
        for r in sorted(rows, key=lambda r: (r["party_name"], r["surname"], r["firstname"])):
            name = PARTY_NAMES_2019.get(r["party_name"], r["party_name"])
            ge2019[placed[code]].append(Stand(name, "", _gender(r["gender"]), r is top))
    keep = {s.code for s in seats}
    return Reference(seats=seats, ge2024={c: ge2024[c] for c in sorted(keep)}, ge2019={c: ge2019[c] for c in sorted(keep)})


# ---------------------------------------------------------------------------------------------------
# The plan: pure Python, seeded, deterministic


@dataclass(frozen=True)
class PlannedContact:
    at: dt.datetime
    method: str
    outcome: str


@dataclass
class PlannedCandidate:
    person_id: str
    election_id: str
    seat: str
    name: str
    gender: str
    party_name: str
    party_key: str
    elected: bool
    handed_over_at: dt.datetime | None = None
    consent: bool = False
    contacts: list[PlannedContact] = field(default_factory=list)
    briefed: bool = False
    invited: bool = False


@dataclass
class PlannedEvent:
    at: dt.datetime
    kind: str  # IncidentEvent.Kind value
    text: str


@dataclass
class PlannedIncident:
    candidate: int  # index into Plan.candidates
    reference: str
    occurred_at: dt.datetime
    submitted_at: dt.datetime
    place: str
    platform: str
    behaviours: list[str]
    characteristics: list[str]
    issue_tags: list[str]
    home_address_known: bool
    weapon_mentioned: bool
    perpetrator_known: bool
    risk_score: int
    risk_level: str
    risk_factors: list[dict]
    status: str
    triaged_at: dt.datetime | None
    closed_at: dt.datetime | None
    crime_reference: str
    description: str
    advice: str
    closure_reason: str
    events: list[PlannedEvent]
    first_contact_at: dt.datetime | None = None  # the case clocks (docs/case-clocks.md)
    referred_at: dt.datetime | None = None


@dataclass
class Plan:
    seed: int
    seats: list[Seat]
    force_quality: dict[str, float]
    candidates: list[PlannedCandidate]
    incidents: list[PlannedIncident]

    def summary(self, election_id: str = GE2024_ID) -> dict:
        """Headline figures of the plan, as the insights pages should find them."""
        cands = [i for i, c in enumerate(self.candidates) if c.election_id == election_id]
        hit = Counter(inc.candidate for inc in self.incidents if self.candidates[inc.candidate].election_id == election_id)
        serious = {inc.candidate for inc in self.incidents if inc.risk_level == RiskLevel.HIGH.value and self.candidates[inc.candidate].election_id == election_id}
        incs = [inc for inc in self.incidents if self.candidates[inc.candidate].election_id == election_id]
        by_gender: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # candidates, affected, incidents
        for i in cands:
            row = by_gender[self.candidates[i].gender]
            row[0] += 1
            row[1] += i in hit
            row[2] += hit.get(i, 0)
        n = len(cands) or 1
        return {
            "candidates": len(cands), "incidents": len(incs),
            "share_reporting": len(hit) / n, "share_serious": len(serious) / n,
            "crime_reference_share": sum(1 for i in incs if i.crime_reference) / (len(incs) or 1),
            "by_gender": {g: tuple(v) for g, v in by_gender.items()},
        }


def _weighted(rng: random.Random, pairs):
    items, weights = zip(*pairs)
    return rng.choices(items, weights=weights)[0]


def _sample_without_replacement(rng: random.Random, items: list[int], weights: list[float], k: int) -> set[int]:
    """k of the items, drawn with probability proportional to weight (Efraimidis–Spirakis)."""
    keyed = sorted(((rng.random() ** (1.0 / w), i) for i, w in zip(items, weights)), reverse=True)
    return {i for _, i in keyed[:k]}


def _party_weight(name: str) -> float:
    low = name.lower()
    return next((w for word, w in PARTY_WEIGHTS if word in low), 0.85)


_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def _reference(rng: random.Random) -> str:
    body = "".join(rng.choice(_ALPHABET) for _ in range(8))
    return f"BG-{body[:4]}-{body[4:]}"


def _moment(rng: random.Random, day: dt.date, earliest_hour: int = 7) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randrange(earliest_hour, 23), rng.randrange(60)), tzinfo=dt.timezone.utc)


def _campaign_day(rng: random.Random, profile: Profile) -> dt.date:
    """A day of the campaign, more likely as polling day nears (weight rising fourfold)."""
    days = (profile.end - profile.start).days
    while True:
        d = rng.randrange(days + 1)
        if rng.random() < (1 + 3 * d / days) / 4:
            return profile.start + dt.timedelta(days=d)


def _risk(template: Template, characteristics: list[str], behaviours: list[str]):
    facts = IncidentFacts(
        behaviours=frozenset(Behaviour(b) for b in behaviours), place=template.place,
        characteristics=frozenset(ProtectedCharacteristic(c) for c in characteristics),
        home_address_known=template.home_address_known, weapon_mentioned=template.weapon_mentioned,
        perpetrator_known=template.perpetrator_known,
    )
    return assess_risk(facts)


def plan_national(ref: Reference, seed: int = 2024, *, fake_names: Callable[[str], str] | None = None) -> Plan:
    """Everything the national demo will write, decided in memory from ``seed``.

    ``fake_names(gender)`` makes a name; by default a Faker en_GB instance seeded with ``seed``.
    """
    rng = random.Random(seed)
    if fake_names is None:
        from faker import Faker

        fake = Faker("en_GB")
        fake.seed_instance(seed)

        def fake_names(gender: str) -> str:
            first = fake.first_name_female() if gender == "female" else fake.first_name_male() if gender == "male" else fake.first_name()
            return f"{first} {fake.last_name()}"

    forces = sorted({s.force for s in ref.seats})
    spread = [0.15 + 0.8 * i / max(1, len(forces) - 1) for i in range(len(forces))]
    rng.shuffle(spread)
    quality = dict(zip(forces, spread))
    seat_of = {s.code: s for s in ref.seats}

    candidates: list[PlannedCandidate] = []
    for election_id, stands, tag in ((GE2024_ID, ref.ge2024, "ge2024"), (GE2019_ID, ref.ge2019, "ge2019")):
        for seat in ref.seats:
            for stand in stands.get(seat.code, []):
                candidates.append(PlannedCandidate(
                    person_id=f"demo-{tag}-{len(candidates):05d}", election_id=election_id, seat=seat.code,
                    name=fake_names(stand.gender), gender=stand.gender, party_name=stand.party_name,
                    party_key=stand.party_key, elected=stand.elected,
                ))

    _plan_outreach(rng, candidates, seat_of, quality)
    incidents: list[PlannedIncident] = []
    references: set[str] = set()
    for election_id, profile, issues in ((GE2024_ID, GE2024_PROFILE, ISSUES_2024), (GE2019_ID, GE2019_PROFILE, ISSUES_2019)):
        idx = [i for i, c in enumerate(candidates) if c.election_id == election_id]
        affected: set[int] = set()
        for gender in sorted({candidates[i].gender for i in idx}):
            group = [i for i in idx if candidates[i].gender == gender]
            k = round(profile.share[gender] * len(group))
            affected |= _sample_without_replacement(rng, group, [_party_weight(candidates[i].party_name) for i in group], k)
        ordered = sorted(affected)
        k_serious = round(profile.serious_share * len(idx))
        serious = _sample_without_replacement(
            rng, ordered, [1.3 if candidates[i].gender == "female" else 1.0 for i in ordered], k_serious,
        )
        for i in ordered:
            mean = profile.mean_incidents[candidates[i].gender]
            count = 1
            while count < 12 and rng.random() < (mean - 1) / mean:
                count += 1
            days = sorted(_campaign_day(rng, profile) for _ in range(count))
            for n, day in enumerate(days):
                template = _weighted(rng, [(t, t.weight * (3 if t.key == "sexual_threat" and candidates[i].gender == "female" else 1)) for t in SERIOUS]) \
                    if (i in serious and n == count - 1) else _weighted(rng, [(t, t.weight) for t in EVERYDAY])
                incidents.append(_plan_incident(rng, i, candidates[i], template, day, profile, issues, quality[seat_of[candidates[i].seat].force], references))
    _untriaged_high_risk(rng, incidents, candidates, seat_of, quality)
    return Plan(seed=seed, seats=list(ref.seats), force_quality=quality, candidates=candidates, incidents=incidents)


def _plan_outreach(rng: random.Random, candidates: list[PlannedCandidate], seat_of: dict[str, Seat], quality: dict[str, float]) -> None:
    """GE2024 only (the FEOA network and Ballotguard did not exist in 2019): hand-over, contact
    attempts and briefings, each driven by the force's quality."""
    close = dt.datetime.combine(GE2024_DATE - dt.timedelta(days=26), dt.time(16), tzinfo=dt.timezone.utc)
    for c in candidates:
        if c.election_id != GE2024_ID:
            continue
        q = quality[seat_of[c.seat].force]
        if rng.random() >= 0.45 + 0.5 * q:
            continue
        c.handed_over_at = close + dt.timedelta(days=rng.randrange(0, 4), hours=rng.randrange(1, 20))
        c.consent = rng.random() < 0.93
        if not c.consent:
            continue
        if rng.random() < 0.2 + 0.75 * q:
            delay = min(40.0, 0.5 + rng.expovariate(1 / (1.5 + 20 * (1 - q))))
            reached = max(c.handed_over_at + dt.timedelta(hours=2), close + dt.timedelta(days=delay))
            if rng.random() < 0.3:
                c.contacts.append(PlannedContact(reached - dt.timedelta(days=1), "phone", _weighted(rng, [("no_answer", 3), ("left_message", 2)])))
            c.contacts.append(PlannedContact(reached, _weighted(rng, [("phone", 6), ("email", 3), ("in_person", 1)]), "reached"))
            c.invited = True
            c.briefed = rng.random() < 0.15 + 0.6 * q
        elif rng.random() < 0.4:
            c.contacts.append(PlannedContact(c.handed_over_at + dt.timedelta(days=rng.randrange(1, 15)), "phone",
                                             _weighted(rng, [("no_answer", 4), ("left_message", 3), ("wrong_details", 1)])))


# What an adviser would write as the next step after each outcome (the worklist shows it).
NEXT_STEP = {
    "no_answer": "Try again in the evening",
    "left_message": "Wait two days for a call back, then e-mail",
    "wrong_details": "Ask the returning officer to check the details",
    "reached": "Invite to the force's security briefing",
}


def _plan_incident(rng, i, candidate, template, day, profile, issues, q, references) -> PlannedIncident:
    behaviours = [b.value for b in template.behaviours]
    characteristics: list[str] = []
    boost = 1.8 if candidate.gender == "female" else 1.0
    if rng.random() < template.hostility_chance * boost:
        table = HOSTILITY["female" if candidate.gender == "female" else "other"]
        characteristics = [_weighted(rng, table).value]
        behaviours.append(B.PROTECTED_CHARACTERISTIC_HOSTILITY.value)
    behaviours = [b.value for b in Behaviour if b.value in behaviours]  # the order the report form stores
    risk = _risk(template, characteristics, behaviours)
    high = risk.level == RiskLevel.HIGH
    platform = _weighted(rng, PLATFORMS) if template.place == P.ONLINE else ""
    tags = [_weighted(rng, issues).value] if rng.random() < 0.6 else []
    if tags and rng.random() < 0.1:
        second = _weighted(rng, issues).value
        if second not in tags:
            tags.append(second)
    tags = [t.value for t in IssueTag if t.value in tags]
    occurred = _moment(rng, day)
    submitted = occurred + dt.timedelta(minutes=10 + rng.expovariate(1 / (120 if high else 600)))
    summary = template.text.format(platform=platform or "social media")
    if tags:
        summary += f", about {IssueTag(tags[0]).label[0].lower()}{IssueTag(tags[0]).label[1:]}"
    description = f"{DEMO_MARK}: generated for the national insights demo, not a real incident. {summary}."
    reference = _reference(rng)
    while reference in references:
        reference = _reference(rng)
    references.add(reference)

    crime = rng.random() < (profile.crime_reference_serious if high else profile.crime_reference_other)
    events = [PlannedEvent(submitted, "submitted", "to the elected-official advisers of {forces}")]
    status, triaged, closed, advice, closure, crime_reference = "new", None, None, "", "", ""
    past = profile is GE2019_PROFILE
    # High-risk reports are always triaged here; _untriaged_high_risk leaves a few waiting on purpose.
    if past or high or rng.random() >= 0.02 + 0.08 * (1 - q):
        hours = rng.expovariate(1 / ((0.3 + 6 * (1 - q)) if high else (3 + 40 * (1 - q))))
        triaged = submitted + dt.timedelta(hours=0.05 + hours)
        status = "triaged"
        events.append(PlannedEvent(triaged, "status", "New → Triaged"))
        later = triaged
        if crime:
            crime_reference = f"DEMO/{day:%y}/{rng.randrange(10**6):06d}"
            later += dt.timedelta(days=rng.uniform(0.5, 6))
            status = "referred"
            events.append(PlannedEvent(later, "status", f"Triaged → Referred to police (crime reference {crime_reference})"))
        elif rng.random() < 0.35:
            advice = f"{DEMO_MARK}: advised on recording, blocking and reporting to the platform; safety advice for canvassing."
            later += dt.timedelta(days=rng.uniform(0.1, 3))
            status = "advice_given"
            events.append(PlannedEvent(later, "status", f"Triaged → Advice given: {advice}"))
        if past or rng.random() < 0.72:
            closed = later + dt.timedelta(days=rng.uniform(1, 30))
            closure = "Police enquiries complete (demo data)" if crime else "No further action needed (demo data)"
            before = {"triaged": "Triaged", "referred": "Referred to police", "advice_given": "Advice given"}[status]
            status = "closed"
            events.append(PlannedEvent(closed, "status", f"{before} → Closed: {closure}"))
    return PlannedIncident(
        candidate=i, reference=reference, occurred_at=occurred, submitted_at=submitted, place=template.place.value,
        platform=platform, behaviours=behaviours, characteristics=characteristics, issue_tags=tags,
        home_address_known=template.home_address_known, weapon_mentioned=template.weapon_mentioned,
        perpetrator_known=template.perpetrator_known, risk_score=risk.score, risk_level=risk.level.value,
        risk_factors=[{"code": f.code, "points": f.points, "why": f.why} for f in risk.factors],
        status=status, triaged_at=triaged, closed_at=closed, crime_reference=crime_reference,
        description=description, advice=advice, closure_reason=closure, events=events,
        **_clock_times(reference, submitted, triaged, closed, crime_reference, high, q),
    )


def _clock_times(reference: str, submitted, triaged, closed, crime_reference: str, high: bool, q: float) -> dict:
    """First contact and referral times. Their own random stream (seeded by the reference), so adding
    them left every other planned figure as it was. Better-run forces (higher ``q``) reach people
    sooner; a few candidates are never reached while the case is open."""
    if triaged is None:
        return {}
    rng = random.Random(f"clocks:{reference}")
    contact = None
    if closed is not None or rng.random() < 0.85:
        contact = triaged + dt.timedelta(hours=rng.expovariate(1 / ((0.5 + 4 * (1 - q)) if high else (4 + 30 * (1 - q)))))
        if closed is not None and contact > closed:
            contact = closed
    referred = None
    if crime_reference:
        referred = triaged + dt.timedelta(hours=rng.expovariate(1 / ((6 + 30 * (1 - q)) if high else (24 + 96 * (1 - q)))))
        if closed is not None and referred > closed:
            referred = closed
    del submitted
    return {"first_contact_at": contact, "referred_at": referred}


def _untriaged_high_risk(rng, incidents, candidates, seat_of, quality) -> None:
    """A few GE2024 high-risk reports still wait for triage, in the forces with the weakest coverage."""
    high = [inc for inc in incidents if inc.risk_level == RiskLevel.HIGH.value and candidates[inc.candidate].election_id == GE2024_ID]
    if not high:
        return
    high.sort(key=lambda inc: (quality[seat_of[candidates[inc.candidate].seat].force], inc.reference))
    weakest = high[: max(3, len(high) // 4)]
    for inc in rng.sample(weakest, min(len(weakest), max(1, round(len(high) * 0.025)))):
        inc.status, inc.triaged_at, inc.closed_at, inc.crime_reference = "new", None, None, ""
        inc.first_contact_at, inc.referred_at = None, None
        inc.advice, inc.closure_reason, inc.events = "", "", inc.events[:1]


# ---------------------------------------------------------------------------------------------------
# Writing it


@dataclass
class NationalResult:
    plan: Plan
    seconds: float
    skipped_seats: list[str]

    def lines(self) -> list[str]:
        now, then = self.plan.summary(GE2024_ID), self.plan.summary(GE2019_ID)
        women, men = now["by_gender"].get("female", (0, 0, 0)), now["by_gender"].get("male", (0, 0, 0))
        rate = lambda row: row[2] / row[0] if row[0] else 0.0  # noqa: E731
        rr_gender = rate(women) / rate(men) if rate(men) else float("nan")
        rr_rise = (now["incidents"] / now["candidates"]) / (then["incidents"] / then["candidates"]) if then["incidents"] else float("nan")
        return [
            f"National insights demo ({DEMO_MARK}) built in {self.seconds:.1f} s: {len(self.plan.seats)} constituencies, "
            f"{now['candidates']:,} GE2024 and {then['candidates']:,} GE2019 fake candidates, {len(self.plan.incidents):,} generated incidents.",
            f"  GE2024: {now['share_reporting']:.0%} of candidates reported at least one incident ({now['share_serious']:.0%} serious), "
            f"women {women[1] / max(1, women[0]):.0%} vs men {men[1] / max(1, men[0]):.0%}; incident rate ratio women/men {rr_gender:.2f}; "
            f"{now['crime_reference_share']:.0%} of incidents have a crime reference.",
            f"  Rise: {now['incidents'] / max(1, now['candidates']) * 100:.0f} incidents per 100 candidates in 2024 vs "
            f"{then['incidents'] / max(1, then['candidates']) * 100:.0f} in 2019 (rate ratio {rr_rise:.2f}).",
        ] + ([f"  (Figures of the plan; {len(self.skipped_seats)} seat(s) already had demo candidates, kept as they were: "
              f"{', '.join(self.skipped_seats)}.)"] if self.skipped_seats else [])


def national_exists() -> bool:
    from ballotguard.registry.models import Election

    return Election.objects.filter(election_id=GE2019_ID).exists()


def real_candidates_present() -> bool:
    """Real GE2024 candidates (``--real-candidates``) are loaded: never put invented incidents next to them."""
    from ballotguard.registry.models import Candidate

    return Candidate.objects.filter(ballot__election__election_id=GE2024_ID).exclude(person_id__startswith="demo-").exists()


def _geography_source(data_dir: Path, seats: list[Seat] | None):
    """The geography folder, or (for a subset) its files cut down to those seats and their councils' wards."""
    from ballotguard.registry.importers import GEOGRAPHY_FILES

    folder = Path(data_dir) / GEOGRAPHY
    if seats is None:
        return folder
    keep = {s.code for s in seats}
    files = {name: (folder / name).read_bytes() for name in GEOGRAPHY_FILES if (folder / name).is_file()}

    def cut(name: str, keep_row) -> None:
        text = files[name].decode("utf-8-sig")
        reader = csv.DictReader(io.StringIO(text))
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames, lineterminator="\n")
        writer.writeheader()
        writer.writerows(r for r in reader if keep_row(r))
        files[name] = out.getvalue().encode("utf-8")

    overlap = "pcon24_lad23_overlap_mysociety.csv"
    councils = {r["LAD23"] for r in csv.DictReader(io.StringIO(files[overlap].decode("utf-8-sig"))) if r["PCON24CD"] in keep}
    cut("pcon24_names_codes_ons.csv", lambda r: r["PCON24CD"] in keep)
    cut(overlap, lambda r: r["PCON24CD"] in keep)
    cut("ward24_lad24_ons_bestfit.csv", lambda r: r["ltla24_code"] in councils)
    if "pcon24_hexmap.hexjson" in files:
        hexmap = json.loads(files["pcon24_hexmap.hexjson"].decode("utf-8-sig"))
        hexmap["hexes"] = {k: v for k, v in hexmap["hexes"].items() if k in keep}
        files["pcon24_hexmap.hexjson"] = json.dumps(hexmap).encode("utf-8")
    return files


def _make_keys(n: int, on_done: Callable[[int], None]) -> list[str]:
    """n new data keys. Each file is fsynced before its id is returned (``erasure.create``); threads
    let those waits overlap (about 20× faster than one after another on a virtual disk)."""
    from ballotguard.core import erasure

    out: list[str] = []
    with ThreadPoolExecutor(max_workers=16) as pool:
        for start in range(0, n, 500):
            out.extend(pool.map(lambda _: erasure.create(), range(start, min(n, start + 500))))
            on_done(min(n, start + 500) - start)
    return out


def build_national(data_dir: Path, *, seed: int = 2024, constituencies: int | None = None, console=None) -> NationalResult:
    """Import the geography and build the national demo (see the module docstring), with a progress bar."""
    from django.db import transaction
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    started = time.perf_counter()
    console = console or Console()
    ref = load_reference(data_dir, constituencies)
    plan = plan_national(ref, seed)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar, transaction.atomic():
        geo = bar.add_task("Geography (650 constituencies, forces, councils, wards)" if constituencies is None else "Geography (subset)", total=9)

        def geo_progress(stage: str, done: int, total: int) -> None:
            bar.update(geo, description=f"Geography: {stage}", completed=done + (1 if stage != "Reading files" else 0), total=total + 1)

        from ballotguard.accounts.services import Actor
        from ballotguard.registry.importers import import_geography

        import_geography(_geography_source(data_dir, None if constituencies is None else ref.seats), progress=geo_progress, actor=Actor.cli())
        bar.update(geo, completed=bar.tasks[geo].total)
        skipped = _write(plan, bar)
    return NationalResult(plan=plan, seconds=time.perf_counter() - started, skipped_seats=skipped)


def _write(plan: Plan, bar) -> list[str]:
    from django.contrib.auth.hashers import make_password

    from ballotguard.accounts.models import Role, User
    from ballotguard.core import erasure
    from ballotguard.core.fields import Sealed
    from ballotguard.engines.common.names import slugify
    from ballotguard.incidents.models import Incident, IncidentEvent
    from ballotguard.outreach.models import Briefing, ContactAttempt, Invitation, Topic
    from ballotguard.registry.importers import party_id_for
    from ballotguard.registry.models import Area, AreaForce, Ballot, Candidate, ConstituencyCouncilOverlap, Party, PoliceForce
    from uk_election_ids.election_ids import IdBuilder

    from .builder import _election

    elections = {
        GE2024_ID: _election(GE2024_ID, GE2024_DATE, GE2024_NAME),
        GE2019_ID: _election(GE2019_ID, GE2019_DATE, GE2019_NAME),
    }
    task = bar.add_task("Ballots and fake candidates", total=len(plan.candidates))
    areas = {a.code: a for a in Area.objects.filter(code__in=[s.code for s in plan.seats])}
    forces_of: dict[int, list[int]] = defaultdict(list)
    for area_id, force_id in AreaForce.objects.filter(area__in=areas.values()).order_by("-is_primary", "-population_share").values_list("area_id", "force_id"):
        forces_of[area_id].append(force_id)
    force_by_code = {f.code: f for f in PoliceForce.objects.all()}
    force_names = {f.pk: f.name for f in force_by_code.values()}
    council_of: dict[int, int] = {}
    best: dict[int, float] = {}
    for pcon, council, pop in ConstituencyCouncilOverlap.objects.filter(constituency__in=areas.values(), council__isnull=False).values_list("constituency_id", "council_id", "population"):
        if pop > best.get(pcon, -1.0):
            best[pcon], council_of[pcon] = pop, council

    # Ballots: one per seat and election; a seat whose ballot already has candidates (the hand-typed
    # demo's six) keeps them and gets no national candidates.
    existing = {(b.election_id, b.area_id): b for b in Ballot.objects.filter(election__in=elections.values(), area__in=areas.values())}
    occupied = set(Candidate.objects.filter(ballot__in=existing.values()).values_list("ballot_id", flat=True))
    new_ballots = []
    for election in elections.values():
        for seat in plan.seats:
            area = areas[seat.code]
            if (election.pk, area.pk) not in existing:
                new_ballots.append(Ballot(ballot_paper_id=IdBuilder("parl", election.date).with_division(area.name).ballot_id,
                                          election=election, area=area, council_id=council_of.get(area.pk), post_label=area.name))
    for ballot in Ballot.objects.bulk_create(new_ballots):
        existing[(ballot.election_id, ballot.area_id)] = ballot
    skipped = sorted({(plan_c.seat) for plan_c in plan.candidates
                      if existing[(elections[plan_c.election_id].pk, areas[plan_c.seat].pk)].pk in occupied})

    # Parties: the one of that name if the demo or an import made it, otherwise as the importer names it.
    parties = {p.name: p for p in Party.objects.all()}
    wanted = {}
    for c in plan.candidates:
        if c.party_name not in parties and c.party_name not in wanted:
            wanted[c.party_name] = Party(party_id=party_id_for(c.party_key, c.party_name), name=c.party_name)
    taken_ids = set(Party.objects.values_list("party_id", flat=True))
    fresh = []
    for p in wanted.values():
        if p.party_id in taken_ids:  # two names, one id (rare): keep the first, name the second by its name
            p.party_id = f"demo:{slugify(p.name)}"[:40]
        if p.party_id not in taken_ids:
            taken_ids.add(p.party_id)
            fresh.append(p)
    for p in Party.objects.bulk_create(fresh):
        parties[p.name] = p
    parties.update({p.name: p for p in Party.objects.filter(name__in=list(wanted))})

    # Reporters: each candidate with an incident reports it from an account of their own (no password),
    # made before the candidates so each candidate row is written once, already linked.
    with_incidents = sorted({inc.candidate for inc in plan.incidents})
    reporters: dict[int, User] = {}
    for index in with_incidents:
        c = plan.candidates[index]
        if existing[(elections[c.election_id].pk, areas[c.seat].pk)].pk in occupied:
            continue
        first, _, last = c.name.partition(" ")
        username = f"demo-reporter-{c.person_id.removeprefix('demo-')}"
        reporters[index] = User(username=username, role=Role.CANDIDATE, first_name=first, last_name=f"{last} (demo)",
                                email=f"{username}@example.org", password=make_password(None))
    User.objects.bulk_create(list(reporters.values()), batch_size=1000)

    rows: list[Candidate | None] = []
    for c in plan.candidates:
        ballot = existing[(elections[c.election_id].pk, areas[c.seat].pk)]
        if ballot.pk in occupied:
            rows.append(None)
            continue
        # Handed over with consent means the adviser has a way to reach them: an example.org address and,
        # for most, a number from Ofcom's drama range (07700 900000-900999), which reaches nobody.
        contact = {}
        if c.handed_over_at is not None and c.consent:
            n = len(rows)
            contact = {"email": f"{c.person_id}@example.org", "phone": f"+447700900{n % 1000:03d}" if n % 5 else ""}
        rows.append(Candidate(ballot=ballot, person_id=c.person_id, name=c.name, party=parties.get(c.party_name), gender=c.gender,
                              elected=c.elected, consent_to_share=c.consent, handed_over_at=c.handed_over_at, user=reporters.get(len(rows)),
                              **contact))
    made = iter(Candidate.objects.bulk_create([r for r in rows if r is not None], batch_size=1000))
    candidates = [next(made) if r is not None else None for r in rows]
    bar.update(task, completed=len(plan.candidates))

    # Advisers: the demo's own for their forces, and one that cannot sign in for every other force.
    task = bar.add_task("Advisers and outreach", total=len(plan.candidates))
    advisers: dict[int, User] = {}
    for user in User.objects.filter(role=Role.FEOA, username__startswith="demo-feoa").prefetch_related("police_forces").order_by("username"):
        for force in user.police_forces.all():
            advisers.setdefault(force.pk, user)
    from faker import Faker

    fake = Faker("en_GB")
    fake.seed_instance(plan.seed + 1)
    new_advisers = []
    for code in sorted(force_by_code):
        force = force_by_code[code]
        if force.pk not in advisers:
            username = f"demo-feoa-{code.lower()}"
            new_advisers.append((force, User(username=username, role=Role.FEOA, first_name=fake.first_name(), last_name=fake.last_name(),
                                             email=f"{username}@example.org", password=make_password(None))))
    existing_users = set(User.objects.filter(username__in=[u.username for _, u in new_advisers]).values_list("username", flat=True))
    User.objects.bulk_create([u for _, u in new_advisers if u.username not in existing_users])
    by_name = {u.username: u for u in User.objects.filter(username__in=[u.username for _, u in new_advisers])}
    links = []
    for force, user in new_advisers:
        advisers[force.pk] = by_name[user.username]
        links.append(User.police_forces.through(user_id=by_name[user.username].pk, policeforce_id=force.pk))
    User.police_forces.through.objects.bulk_create(links, ignore_conflicts=True)

    def primary_force(candidate: Candidate) -> int:
        return forces_of[candidate.ballot.area_id][0]

    attempts, briefing_for, invitations = [], {}, []
    ge = elections[GE2024_ID]
    for c, row in zip(plan.candidates, candidates):
        if row is None or c.election_id != GE2024_ID:
            continue
        force_id = primary_force(row)
        for contact in c.contacts:
            attempts.append(ContactAttempt(candidate=row, adviser=advisers.get(force_id), at=contact.at, method=contact.method,
                                           outcome=contact.outcome, next_step=NEXT_STEP.get(contact.outcome, ""), created_at=contact.at))
        if c.invited:
            if force_id not in briefing_for:
                briefing_for[force_id] = Briefing(
                    force_id=force_id, title=f"Security briefing for parliamentary candidates, {force_names[force_id]} (demo)",
                    kind=Briefing.Kind.GROUP, format=Briefing.Format.ONLINE,
                    starts_at=dt.datetime.combine(ge.nominations_close + dt.timedelta(days=9 + force_id % 5), dt.time(18), tzinfo=dt.timezone.utc),
                    location="Demo data: online meeting", topics=[Topic.PERSONAL_SAFETY, Topic.ONLINE_SAFETY, Topic.REPORTING],
                    created_by=advisers.get(force_id),
                )
            invitations.append((force_id, row, c))
    ContactAttempt.objects.bulk_create(attempts, batch_size=1000)
    Briefing.objects.bulk_create(list(briefing_for.values()))
    Invitation.objects.bulk_create([
        Invitation(briefing=briefing_for[force_id], candidate=row, invited_by=advisers.get(force_id),
                   invited_at=briefing_for[force_id].starts_at - dt.timedelta(days=7),
                   status=Invitation.Status.ACCEPTED if c.briefed else Invitation.Status.INVITED,
                   responded_at=briefing_for[force_id].starts_at - dt.timedelta(days=2) if c.briefed else None,
                   attended=c.briefed, attendance_recorded_at=briefing_for[force_id].starts_at + dt.timedelta(hours=2) if c.briefed else None)
        for force_id, row, c in invitations
    ], batch_size=1000)
    bar.update(task, completed=len(plan.candidates))

    # Incidents: a data key each (made in parallel first), the erasable values sealed under it here
    # (as EncryptedTextField.pre_save would: Sealed values pass through bulk_create untouched).
    planned = [inc for inc in plan.incidents if candidates[inc.candidate] is not None]
    keys_task = bar.add_task("Data keys for the incidents", total=len(planned))
    keys = _make_keys(len(planned), lambda n: bar.advance(keys_task, n))

    def seal(kid: str, text: str, field_name: str, model=Incident) -> str:
        if not text:
            return text
        return Sealed(erasure.seal(kid, text, model._meta.get_field(field_name)._context))

    task = bar.add_task("Incidents", total=len(planned))
    objects = []
    for inc, kid in zip(planned, keys):
        row = candidates[inc.candidate]
        objects.append(Incident(
            reference=inc.reference, candidate=row, reported_by=reporters[inc.candidate], status=inc.status,
            occurred_at=inc.occurred_at, place=inc.place, area_id=row.ballot.area_id, platform=inc.platform,
            behaviours=inc.behaviours, characteristics=inc.characteristics, issue_tags=inc.issue_tags,
            home_address_known=inc.home_address_known, weapon_mentioned=inc.weapon_mentioned, perpetrator_known=inc.perpetrator_known,
            description=seal(kid, inc.description, "description"), risk_score=inc.risk_score, risk_level=inc.risk_level, risk_factors=inc.risk_factors,
            risk_rank={"low": 1, "medium": 2, "high": 3}[inc.risk_level], crime_reference=inc.crime_reference, advice=seal(kid, inc.advice, "advice"),
            data_key=kid, closure_reason=inc.closure_reason, submitted_at=inc.submitted_at, triaged_at=inc.triaged_at,
            closed_at=inc.closed_at, created_at=inc.submitted_at, first_contact_at=inc.first_contact_at, referred_at=inc.referred_at,
        ))
    for start in range(0, len(objects), 1000):
        Incident.objects.bulk_create(objects[start:start + 1000])
        bar.advance(task, len(objects[start:start + 1000]))
    through = Incident.forces.through
    through.objects.bulk_create([through(incident_id=obj.pk, policeforce_id=f) for obj in objects for f in forces_of[obj.area_id]], batch_size=2000)

    task = bar.add_task("Timelines", total=len(planned))
    events = []
    for inc, obj in zip(planned, objects):
        adviser = advisers.get(forces_of[obj.area_id][0])
        for ev in inc.events:
            if ev.kind == "submitted":
                text = ev.text.format(forces=", ".join(force_names[f] for f in forces_of[obj.area_id]))
                events.append(IncidentEvent(incident=obj, at=ev.at, actor=obj.reported_by, actor_name=str(obj.reported_by), kind=ev.kind,
                                            text=seal(obj.data_key, text, "text", IncidentEvent)))
            else:
                events.append(IncidentEvent(incident=obj, at=ev.at, actor=adviser, actor_name=str(adviser) if adviser else "Ballotguard", kind=ev.kind,
                                            text=seal(obj.data_key, ev.text, "text", IncidentEvent)))
        if len(events) >= 3000:
            IncidentEvent.objects.bulk_create(events)
            events = []
        bar.advance(task)
    IncidentEvent.objects.bulk_create(events)
    return skipped
