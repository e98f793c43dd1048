"""Sharing engine: packages out as STIX 2.1 and MISP, partners' bundles in, and hostile bundles refused."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import stix2

from ballotguard.engines.incidents.observables import normalise_observable
from ballotguard.engines.incidents.sharing import (
    CUSTOM_TYPE, Package, PackageKind, SharedCase, SharedObservable, SharingError, Tlp, read_stix_bundle, to_misp_event,
    to_misp_json, to_stix_json,
)

NOW = dt.datetime(2025, 4, 1, 10, 0, tzinfo=dt.timezone.utc)


def identified(kind: str, raw: str) -> SharedObservable:
    obs = normalise_observable(kind, raw)
    return SharedObservable(obs.kind, value=obs.value, display=obs.display)


def package(*cases, identified_=True, tlp=Tlp.AMBER_STRICT, kind=PackageKind.COURSE_OF_CONDUCT) -> Package:
    return Package(kind, "P-0123456789ABCDEF", "West Midlands Police (Ballotguard)", tlp, NOW, tuple(cases), identified=identified_)


def case(label: str, *observables: SharedObservable) -> SharedCase:
    return SharedCase(label, NOW, NOW, tuple(observables))


EVERY_KIND = case(
    "P-1", identified("handle", "@Troll_99"), identified("phone", "07700 900123"), identified("email", "Troll@Example.org"),
    identified("url", "https://twitter.com/troll_99/status/1?s=20"), identified("vehicle", "ab12 cde"), identified("name", "Joe  Bloggs"),
)


def test_identified_bundle_uses_stix_objects_where_they_exist_and_round_trips():
    text = to_stix_json(package(EVERY_KIND))
    doc = json.loads(text)
    types = [o["type"] for o in doc["objects"]]
    assert {"email-addr", "url", "user-account", CUSTOM_TYPE, "observed-data", "grouping", "identity", "extension-definition"} <= set(types)
    # STIX 2.1 has no telephone, vehicle or name object: those three are ours.
    assert sorted(o["kind"] for o in doc["objects"] if o["type"] == CUSTOM_TYPE) == ["name", "phone", "vehicle"]
    stix2.parse(text, allow_custom=True)  # the library itself reads it back
    read = read_stix_bundle(text)
    assert read.tlp is Tlp.AMBER_STRICT and read.producer == "West Midlands Police (Ballotguard)"
    assert len(read.groups) == 1
    assert {(o.kind, o.value) for o in read.groups[0].observables} == {(o.kind, o.value) for o in EVERY_KIND.observables}


def test_every_object_carries_the_tlp_2_0_marking_published_by_oasis():
    doc = json.loads(to_stix_json(package(EVERY_KIND, tlp=Tlp.RED)))
    marking = next(o for o in doc["objects"] if o["type"] == "marking-definition")
    assert marking["id"] == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1" and marking["name"] == "TLP:RED"
    assert marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]["tlp_2_0"] == "red"
    for obj in doc["objects"]:
        if obj["type"] not in {"marking-definition", "extension-definition"} and obj["id"] != "identity--8f5e2a44-51b6-5f0e-8c3d-1a7b9e6d2c40":
            assert obj["object_marking_refs"] == [marking["id"]], obj["type"]


def test_pseudonymised_bundle_holds_no_values():
    pseudo = case("P-1", SharedObservable(normalise_observable("handle", "@Troll_99").kind, pseudonym="O-0123456789ABCDEF"),
                  SharedObservable(normalise_observable("phone", "07700900123").kind, pseudonym="O-FEDCBA9876543210"))
    text = to_stix_json(package(pseudo, identified_=False))
    assert "troll" not in text.lower() and "7700" not in text
    read = read_stix_bundle(text)
    assert sorted(o.pseudonym for o in read.groups[0].observables) == ["O-0123456789ABCDEF", "O-FEDCBA9876543210"]
    event = json.loads(to_misp_json(package(pseudo, identified_=False)))
    assert {a["type"] for a in event["Attribute"]} == {"anonymised"}


def test_a_package_cannot_mix_identified_and_pseudonymised_values():
    with pytest.raises(ValueError):
        package(case("P-1", identified("handle", "@a"), SharedObservable(identified("phone", "07700900123").kind, pseudonym="O-0123456789ABCDEF")))


def test_misp_event_carries_the_tlp_tag_and_is_built_without_a_server():
    event = to_misp_event(package(EVERY_KIND, tlp=Tlp.AMBER_STRICT))
    assert [t.name for t in event.tags][0] == "tlp:amber+strict"
    values = {(a.type, a.value) for a in event.attributes}
    assert ("phone-number", "+447700900123") in values and ("email", "troll@example.org") in values
    assert all(a.to_ids is False and a.comment.startswith("P-1: ") for a in event.attributes)


def test_cases_become_observed_data_inside_one_grouping_and_a_partner_grouping_groups_them():
    text = to_stix_json(package(case("P-1", identified("handle", "@a_one")), case("P-2", identified("phone", "07700900123"))))
    doc = json.loads(text)
    assert len([o for o in doc["objects"] if o["type"] == "observed-data"]) == 2
    groups = read_stix_bundle(text).groups
    assert len(groups) == 1 and len(groups[0].observables) == 2  # the grouping is the partner's assertion


def _bundle(*objects, **extra) -> bytes:
    return json.dumps({"type": "bundle", "id": "bundle--6ba7b810-9dad-41d1-80b4-00c04fd430c8", "objects": list(objects), **extra}).encode()


def _url(n: int, value: str = "https://example.org/x") -> dict:
    return {"type": "url", "spec_version": "2.1", "id": f"url--00000000-0000-4000-8000-{n:012d}", "value": value}


def test_loose_observables_are_groups_of_one_and_bad_values_are_left_out_with_a_warning():
    read = read_stix_bundle(_bundle(_url(1), _url(2, "https://example.org/y"), _url(3, "ftp://nope"),
                                    {"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000009", "value": "192.0.2.1"}))
    assert len(read.groups) == 2 and read.observables == 2
    assert read.skipped == {"ipv4-addr": 1}
    assert read.warnings and "url--00000000-0000-4000-8000-000000000003" in read.warnings[0] and "http" in read.warnings[0]


@pytest.mark.parametrize(("data", "says"), [
    (b"", "empty"),
    (b"{not json", "not valid JSON (line 1"),
    (b"\xff\xfe\x00", "UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    (json.dumps({"type": "report"}).encode(), '"type" must be "bundle"'),
    (json.dumps({"type": "bundle", "id": "x"}).encode(), '"id"'),
    (_bundle(spec_version="2.0"), "STIX 2.0: Ballotguard reads STIX 2.1 bundles only"),
    (_bundle({**_url(1), "spec_version": "2.0"}), "Object 1 (url--00000000-0000-4000-8000-000000000001) is STIX 2.0"),
    (_bundle({"type": "identity", "id": "identity--00000000-0000-4000-8000-000000000001", "name": "x"}), "Object 1 (identity--"),
    (_bundle("a string"), "Object 1 is not a JSON object"),
    (_bundle({"type": "url", "id": "file--00000000-0000-4000-8000-000000000001"}), 'Object 1 has no valid "type" and "id"'),
    (_bundle({"type": "ipv4-addr", "spec_version": "2.1", "id": "ipv4-addr--00000000-0000-4000-8000-000000000001", "value": "192.0.2.1"}),
     "no observables Ballotguard can match (it has 1 ipv4-addr)"),
    (_bundle(objects="nope"), '"objects" must be a list'),
])
def test_hostile_bundles_are_refused_with_a_reason_naming_what_is_wrong(data, says):
    with pytest.raises(SharingError) as err:
        read_stix_bundle(data)
    assert says in err.value.message
    assert err.value.field == "bundle"


def test_size_and_count_limits():
    with pytest.raises(SharingError, match="must be 1,000 bytes or smaller"):
        read_stix_bundle(b" " * 1001, max_bytes=1000)
    with pytest.raises(SharingError, match="11 objects: Ballotguard reads at most 10"):
        read_stix_bundle(_bundle(*[_url(i, f"https://example.org/{i}") for i in range(11)]), max_objects=10)
    with pytest.raises(SharingError, match="6 observables: Ballotguard reads at most 5"):
        read_stix_bundle(_bundle(*[_url(i, f"https://example.org/{i}") for i in range(6)]), max_observables=5)


def test_a_huge_bundle_is_refused_before_it_is_parsed():
    big = _bundle(*[_url(i, f"https://example.org/{i}") for i in range(60_000)])
    assert len(big) > 5 * 1024 * 1024
    with pytest.raises(SharingError, match="a bundle must be 5,242,880 bytes or smaller"):
        read_stix_bundle(big)


def test_container_cycles_and_references_to_nothing_do_not_hang():
    a = {"type": "grouping", "spec_version": "2.1", "id": "grouping--00000000-0000-4000-8000-00000000000a", "context": "x",
         "object_refs": ["grouping--00000000-0000-4000-8000-00000000000b", "url--00000000-0000-4000-8000-000000000001", "file--00000000-0000-4000-8000-000000000001"]}
    b = {**a, "id": "grouping--00000000-0000-4000-8000-00000000000b", "object_refs": [a["id"], "url--00000000-0000-4000-8000-000000000002"]}
    read = read_stix_bundle(_bundle(a, b, _url(1), _url(2, "https://example.org/2")))
    # Each grouping is referred to by the other, so neither is the top: both observables stand alone.
    assert sorted(len(g.observables) for g in read.groups) == [1, 1]


def test_tlp_1_markings_are_understood_and_the_strictest_wins():
    green = "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"
    read = read_stix_bundle(_bundle({**_url(1), "object_marking_refs": [green]},
                                    {**_url(2, "https://example.org/2"), "object_marking_refs": [Tlp.AMBER.marking_id]}))
    assert read.tlp is Tlp.AMBER


def test_wrong_pseudonyms_and_kinds_are_left_out():
    obj = {"type": CUSTOM_TYPE, "spec_version": "2.1", "id": f"{CUSTOM_TYPE}--00000000-0000-4000-8000-000000000001", "kind": "phone", "pseudonym": "O-xyz"}
    other = {**obj, "id": f"{CUSTOM_TYPE}--00000000-0000-4000-8000-000000000002", "kind": "description", "value": "tall man"}
    with pytest.raises(SharingError) as err:
        read_stix_bundle(_bundle(obj, other))
    assert "pseudonym" in err.value.message
