"""Every role against every page and API endpoint: who gets 200, 302 (to sign-in), 401, 403 or 404.

403 means "your role may never do this"; 404 means "this record is outside your scope" (so the
existence of another force's or council's candidate is not revealed). Anonymous visitors are sent
to sign in (pages) or get 401 (API); a FEOA past the password but not the second factor reaches
nothing but the sign-in steps.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from conftest import signed_in_client

ROLES = ["anonymous", "feoa_unverified", "candidate", "staff", "ro_westminster", "feoa_met", "feoa_city", "feoa_wmp", "analyst", "admin"]

# target -> expected status per role, in ROLES order.
#             anon unver cand staff ro   met  city wmp  anal admin
MATRIX = {
    "page home":                    (302, 302, 200, 200, 200, 200, 200, 200, 200, 200),
    "page candidate list":          (302, 302, 403, 403, 200, 200, 200, 200, 403, 200),
    "page candidate clw (2 forces)": (302, 302, 404, 404, 200, 200, 200, 404, 404, 200),
    "page candidate yardley":       (302, 302, 200, 200, 404, 404, 404, 200, 404, 200),
    "page handover list":           (302, 302, 403, 403, 200, 403, 403, 403, 403, 403),
    "page handover clw":            (302, 302, 403, 403, 200, 403, 403, 403, 403, 403),
    "page handover yardley":        (302, 302, 403, 403, 404, 403, 403, 403, 403, 403),
    "page handover upload":         (302, 302, 403, 403, 200, 403, 403, 403, 403, 403),
    "page imports":                 (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "page audit log":               (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "page api tokens":              (302, 302, 200, 200, 200, 200, 200, 200, 200, 200),
    "page django admin":            (302, 302, 302, 302, 302, 302, 302, 302, 302, 200),
    # Access changes (issue 14): administrators propose and approve; a force's lead FEOA approves
    # police changes there (no lead in this world: every FEOA sees an empty list through the API).
    "page access changes":          (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "page propose access":          (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "api access changes":           (401, 401, 403, 403, 403, 200, 200, 200, 403, 200),
    "api propose access (empty)":   (401, 401, 403, 403, 403, 403, 403, 403, 403, 422),
    # Suspending at once: administrators, and lead FEOAs for their own force (none in this world).
    "page suspend a user":          (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "api suspend a user (empty)":   (401, 401, 403, 403, 403, 403, 403, 403, 403, 422),
    "api me":                       (401, 401, 200, 200, 200, 200, 200, 200, 200, 200),
    "api candidates":               (401, 401, 403, 403, 200, 200, 200, 200, 403, 200),
    "api candidate clw":            (401, 401, 404, 404, 200, 200, 200, 404, 404, 200),
    "api candidate yardley":        (401, 401, 200, 200, 404, 404, 404, 200, 404, 200),
    "api ballots":                  (401, 401, 403, 403, 200, 200, 200, 200, 403, 200),
    "api registry summary":         (401, 401, 403, 403, 200, 200, 200, 200, 200, 200),
    "api police forces":            (401, 401, 200, 200, 200, 200, 200, 200, 200, 200),
    "api audit":                    (401, 401, 403, 403, 403, 403, 403, 403, 403, 200),
    "api tokens":                   (401, 401, 200, 200, 200, 200, 200, 200, 200, 200),
    "api handover (empty)":         (401, 401, 403, 403, 422, 403, 403, 403, 403, 403),
    "api import candidates (no file)": (401, 401, 403, 403, 403, 403, 403, 403, 403, 422),
    # Incidents: Carol's report in Birmingham Yardley (West Midlands Police), with one file of evidence.
    # A candidate sees only their own, staff what was delegated, a FEOA only their force, nobody else any.
    "page incidents":               (302, 302, 200, 200, 403, 200, 200, 200, 403, 403),
    "page report an incident":      (302, 302, 200, 200, 403, 403, 403, 403, 403, 403),
    "page incident yardley":        (302, 302, 200, 200, 404, 404, 404, 200, 404, 404),
    "page incident evidence file":  (302, 302, 200, 200, 404, 404, 404, 200, 404, 404),
    "page incident pack":           (302, 302, 200, 200, 404, 404, 404, 200, 404, 404),
    "page incident conduct":        (302, 302, 200, 200, 404, 404, 404, 200, 404, 404),
    "page incident add evidence":   (302, 302, 200, 200, 404, 404, 404, 200, 404, 404),
    "page incident status (empty)": (302, 302, 403, 403, 404, 404, 404, 400, 404, 404),
    "page access requests":         (302, 302, 403, 403, 403, 200, 200, 200, 403, 403),
    # The observables warning list: advisers and analysts read it, administrators keep it.
    "page warning list":            (302, 302, 403, 403, 403, 200, 200, 200, 200, 200),
    "page warning list add (empty)": (302, 302, 403, 403, 403, 403, 403, 403, 403, 400),
    "api warning list":             (401, 401, 403, 403, 403, 200, 200, 200, 200, 200),
    "api add warning (empty)":      (401, 401, 403, 403, 403, 403, 403, 403, 403, 422),
    "api incidents":                (401, 401, 200, 200, 403, 200, 200, 200, 403, 403),
    "api incident yardley":         (401, 401, 200, 200, 403, 404, 404, 200, 403, 403),
    "api incident evidence file":   (401, 401, 200, 200, 403, 404, 404, 200, 403, 403),
    "api incident pack":            (401, 401, 200, 200, 403, 404, 404, 200, 403, 403),
    "api report (empty)":           (401, 401, 422, 422, 403, 403, 403, 403, 403, 403),
    # Checklists (issue 17): an incident's tasks are police data, for its force's FEOAs alone; the
    # templates are not: administrators change them, FEOAs read them.
    "page incident task yardley":   (302, 302, 403, 403, 404, 404, 404, 200, 404, 404),
    "api incident tasks yardley":   (401, 401, 403, 403, 403, 404, 404, 200, 403, 403),
    "api incident task (empty)":    (401, 401, 403, 403, 403, 404, 404, 200, 403, 403),
    "page checklists":              (302, 302, 403, 403, 403, 200, 200, 200, 403, 200),
    "page checklist":               (302, 302, 403, 403, 403, 200, 200, 200, 403, 200),
    "page checklist edit":          (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "api checklist templates":      (401, 401, 403, 403, 403, 200, 200, 200, 403, 200),
    "api checklist version (empty)": (401, 401, 403, 403, 403, 403, 403, 403, 403, 422),
    # Live message sources: administrators only; Mastodon accounts: the candidate and their staff.
    "page live sources":            (302, 302, 403, 403, 403, 403, 403, 403, 403, 200),
    "api live sources":             (401, 401, 403, 403, 403, 403, 403, 403, 403, 200),
    "page mastodon accounts":       (302, 302, 200, 200, 403, 403, 403, 403, 403, 403),
    "api mastodon accounts":        (401, 401, 200, 200, 403, 403, 403, 403, 403, 403),
    # GOV.UK Notify's delivery receipts: Notify's bearer token only, whoever is signed in.
    "api notify receipt (no token)": (401, 302, 401, 401, 401, 401, 401, 401, 401, 401),  # an unverified session is sent to its second factor first
    "api incident triage":          (401, 401, 403, 403, 403, 404, 404, 200, 403, 403),
    "api access requests":          (401, 401, 403, 403, 403, 200, 200, 200, 403, 403),
    # Monitoring: a threatening message to Carol (West Midlands). FEOAs review their force's in full,
    # analysts every force's pseudonymised; only the integration's administrator account ingests.
    "page flagged messages":        (302, 302, 403, 403, 403, 200, 200, 200, 200, 403),
    "page flagged message yardley": (302, 302, 403, 403, 403, 404, 404, 200, 200, 403),
    "page message decision (empty)": (302, 302, 403, 403, 403, 404, 404, 400, 400, 403),
    "page abuse timeline yardley":  (302, 302, 200, 200, 403, 404, 404, 200, 200, 403),
    "api message queue":            (401, 401, 403, 403, 403, 200, 200, 200, 200, 403),
    "api message yardley":          (401, 401, 403, 403, 403, 404, 404, 200, 200, 403),
    "api message dismiss":          (401, 401, 403, 403, 403, 404, 404, 200, 200, 403),
    "api ingest messages (empty)":  (401, 401, 403, 403, 403, 403, 403, 403, 403, 422),
    "api abuse timeline yardley":   (401, 401, 200, 200, 403, 404, 404, 200, 200, 403),
    # Safety companion: guidance for everyone signed in; Carol's plan and pledge for her and her staff
    # (her force's FEOA sees only that a plan exists); the pledge list is public.
    "page guidance":                (302, 302, 200, 200, 200, 200, 200, 200, 200, 200),
    # Other roles are sent on to the guidance library; a candidate with no plan yet to the questionnaire.
    "page safety home":             (302, 302, 200, 200, 302, 302, 302, 302, 302, 302),
    "page safety plan yardley":     (302, 302, 302, 302, 404, 404, 404, 200, 404, 404),
    "page pledge yardley":          (302, 302, 200, 200, 404, 404, 404, 404, 404, 404),
    "page candidates' safety":      (302, 302, 403, 403, 403, 200, 200, 200, 403, 403),
    "page public pledge list":      (200, 302, 200, 200, 200, 200, 200, 200, 200, 200),
    # Outreach: FEOAs work their force's list; candidates are sent on to their adviser page and back.
    "page outreach worklist":       (302, 302, 302, 302, 403, 200, 200, 200, 403, 403),
    "page your police adviser":     (302, 302, 200, 200, 403, 302, 302, 302, 403, 403),
    "page outreach candidate yardley": (302, 302, 403, 403, 403, 404, 404, 200, 403, 403),
    "api outreach worklist":        (401, 401, 403, 403, 403, 200, 200, 200, 403, 403),
    "api invitations":              (401, 401, 200, 200, 403, 403, 403, 403, 403, 403),
    # Check-ins: people going out start their own; FEOAs see only those escalated to their force.
    "page check-ins":               (302, 302, 200, 200, 403, 302, 302, 302, 403, 403),  # FEOAs: sent on to the escalated list
    "page escalated check-ins":     (302, 302, 403, 403, 403, 200, 200, 200, 403, 403),
    "api check-ins":                (401, 401, 200, 200, 403, 403, 403, 403, 403, 403),
    "api escalated check-ins":      (401, 401, 403, 403, 403, 200, 200, 200, 403, 403),
    # Insights: analysts nationally, FEOAs their own force; pseudonymised records for analysts only.
    "page insights":                (302, 302, 403, 403, 403, 200, 200, 200, 200, 403),
    "page insights records":        (302, 302, 403, 403, 403, 403, 403, 403, 200, 403),
    "api insights":                 (401, 401, 403, 403, 403, 200, 200, 200, 200, 403),
    # The candidates' survey (issue 17): the candidate answers (not their staff); analysts and
    # administrators set closing dates; the figures are analysts' only (a force's FEOAs know its few respondents).
    "page survey":                  (302, 302, 200, 403, 403, 403, 403, 403, 403, 403),
    "page survey respond yardley":  (302, 302, 200, 403, 403, 403, 403, 403, 403, 403),
    "page survey respond clw":      (302, 302, 404, 403, 403, 403, 403, 403, 403, 403),
    "page survey closing dates":    (302, 302, 403, 403, 403, 403, 403, 403, 200, 200),
    "page survey closing date ge":  (302, 302, 403, 403, 403, 403, 403, 403, 200, 200),
    "api survey":                   (401, 401, 200, 403, 403, 403, 403, 403, 403, 403),
    "api survey response (empty)":  (401, 401, 422, 403, 403, 403, 403, 403, 403, 403),
    "api survey closing dates":     (401, 401, 403, 403, 403, 403, 403, 403, 200, 200),
    "api survey closing date (empty)": (401, 401, 403, 403, 403, 403, 403, 403, 422, 422),
    "page insights survey":         (302, 302, 403, 403, 403, 403, 403, 403, 200, 403),
    "api insights survey":          (401, 401, 403, 403, 403, 403, 403, 403, 200, 403),
    # Case clocks: figures like every insights page; targets read by FEOAs (their force), analysts and
    # administrators, changed by a force's lead FEOA (West Midlands' is made lead for these rows) or an
    # administrator; the breach list for the lead FEOA alone.
    "page clocks":                  (302, 302, 403, 403, 403, 200, 200, 200, 200, 403),
    "api clocks":                   (401, 401, 403, 403, 403, 404, 404, 404, 404, 403),  # no refresh yet in this world: 404
    "page clock targets":           (302, 302, 403, 403, 403, 200, 200, 200, 200, 200),
    "api clock targets":            (401, 401, 403, 403, 403, 200, 200, 200, 200, 200),
    "page clock targets wmp":       (302, 302, 403, 403, 403, 403, 403, 200, 403, 200),
    "page clock targets met":       (302, 302, 403, 403, 403, 403, 403, 404, 403, 200),
    "api set clock targets wmp (empty)": (401, 401, 403, 403, 403, 403, 403, 200, 403, 200),
    "page clock breaches":          (302, 302, 403, 403, 403, 403, 403, 200, 403, 403),
    "api clock breaches":           (401, 401, 403, 403, 403, 403, 403, 200, 403, 403),
    "api clock breaches met":       (401, 401, 403, 403, 403, 403, 403, 404, 403, 403),
    # Coordinated campaigns: analysts nationally, FEOAs those touching their force.
    "page campaigns":               (302, 302, 403, 403, 403, 200, 200, 200, 200, 403),
    "api campaigns":                (401, 401, 403, 403, 403, 200, 200, 200, 200, 403),
    # Sharing with partners (issue 17): FEOAs share their incidents and import partners' bundles for
    # their force; campaigns are shared by analysts and the FEOAs of the forces they touch.
    "page share incident yardley":  (302, 302, 403, 403, 403, 404, 404, 200, 403, 403),
    "api share incident yardley":   (401, 401, 403, 403, 403, 404, 404, 200, 403, 403),
    "page share campaign":          (302, 302, 403, 403, 403, 404, 404, 200, 200, 403),
    "api share campaign":           (401, 401, 403, 403, 403, 404, 404, 200, 200, 403),
    "page partners' bundles":       (302, 302, 403, 403, 403, 200, 200, 200, 403, 403),
    "page import a bundle":         (302, 302, 403, 403, 403, 200, 200, 200, 403, 403),
    "api partners' bundles":        (401, 401, 403, 403, 403, 200, 200, 200, 403, 403),
    "api import a bundle (empty)":  (401, 401, 403, 403, 403, 422, 422, 422, 403, 403),
}


def _campaign(world):
    """A campaign touching West Midlands, made once per test."""
    if not hasattr(world, "campaign"):
        from django.utils import timezone

        from ballotguard.monitoring.models import Campaign, DetectionRun

        run = DetectionRun.objects.create(trigger="command", status="finished")
        world.campaign = Campaign.objects.create(key="perm0123456789ab", fingerprint="0" * 64, first_run=run, run=run,
                                                 first_at=timezone.now(), last_at=timezone.now(), score=2.0)
        world.campaign.forces.set([world.forces.wmp])
    return world.campaign


def _message(world):
    """A threatening message to Carol, made once per test."""
    if not hasattr(world, "message"):
        import io

        from ballotguard.accounts.services import Actor
        from ballotguard.monitoring.models import Message
        from ballotguard.monitoring.services import ingest_file
        from ballotguard.registry.models import SocialHandle

        SocialHandle.objects.create(candidate=world.candidates.yardley_1, platform="x", handle="carol_mp")
        line = b'{"platform": "x", "message_id": "1", "text": "we know where you live", "sent_at": "2025-04-01T10:00:00Z", "mentions": ["carol_mp"]}'
        ingest_file(Actor.cli(), io.BytesIO(line), "m.jsonl")
        world.message = Message.objects.get()
    return world.message


def _incident(world):
    """Carol's incident with one PNG, made once per test."""
    if not hasattr(world, "incident"):
        from ballotguard.accounts.services import Actor
        from ballotguard.incidents import services
        from ballotguard.incidents.tests.conftest import PNG, report_input

        world.incident, _ = services.report(Actor(user=world.users.candidate), report_input(world.candidates.yardley_1))
        world.evidence = services.add_evidence(Actor(user=world.users.candidate), world.incident, "shot.png", [PNG], len(PNG))
    return world.incident


def _survey(world):
    """The general election's survey, open today, with its (empty) figures, made once per test."""
    if not hasattr(world, "survey"):
        import datetime as dt

        from django.utils import timezone

        from ballotguard.insights.survey import refresh_survey_figures
        from ballotguard.survey.models import SurveyWindow

        world.survey = SurveyWindow.objects.create(election=world.elections.ge, closes_on=timezone.localdate() + dt.timedelta(days=10))
        refresh_survey_figures()
    return world.survey


def _request(client: Client, target: str, world):
    c = world.candidates
    pages = {
        "page home": "/",
        "page candidate list": "/candidates/",
        "page candidate clw (2 forces)": f"/candidates/{c.clw_1.pk}/",
        "page candidate yardley": f"/candidates/{c.yardley_1.pk}/",
        "page handover list": "/handover/",
        "page handover clw": f"/handover/{c.clw_1.pk}/",
        "page handover yardley": f"/handover/{c.yardley_1.pk}/",
        "page handover upload": "/handover/upload/",
        "page imports": "/imports/",
        "page audit log": "/audit/",
        "page api tokens": "/account/api-tokens/",
        "page django admin": "/django-admin/",
        "api me": "/api/v1/me",
        "api candidates": "/api/v1/candidates",
        "api candidate clw": f"/api/v1/candidates/{c.clw_1.pk}",
        "api candidate yardley": f"/api/v1/candidates/{c.yardley_1.pk}",
        "api ballots": "/api/v1/ballots",
        "api registry summary": "/api/v1/registry/summary",
        "api police forces": "/api/v1/police-forces",
        "api audit": "/api/v1/audit",
        "api tokens": "/api/v1/tokens",
        "page access changes": "/access/",
        "page propose access": "/access/propose/user",
        "page suspend a user": "/access/suspend",
        "api access changes": "/api/v1/access-changes",
    }
    if "incident" in target and target not in {"page incidents", "api incidents"}:
        ref = _incident(world).reference
        pages.update({
            "page incident yardley": f"/incidents/{ref}/",
            "page incident evidence file": f"/incidents/{ref}/evidence/{world.evidence.pk}/",
            "page incident pack": f"/incidents/{ref}/pack.zip",
            "page incident conduct": f"/incidents/{ref}/conduct/",
            "page incident add evidence": f"/incidents/{ref}/evidence/",
            "api incident yardley": f"/api/v1/incidents/{ref}",
            "api incident evidence file": f"/api/v1/incidents/{ref}/evidence/{world.evidence.pk}",
            "api incident pack": f"/api/v1/incidents/{ref}/pack",
        })
        task = world.incident.tasks.first()
        pages.update({
            "page incident task yardley": f"/incidents/{ref}/tasks/{task.pk}/",
            "api incident tasks yardley": f"/api/v1/incidents/{ref}/tasks",
        })
        if target == "api incident task (empty)":
            return client.patch(f"/api/v1/incidents/{ref}/tasks/{task.pk}", {}, content_type="application/json")
        if target == "page incident status (empty)":
            return client.post(f"/incidents/{ref}/status/", {})
        if target == "api incident triage":
            return client.post(f"/api/v1/incidents/{ref}/status", {"status": "triaged"}, content_type="application/json")
        pages["page share incident yardley"] = f"/incidents/{ref}/share/"
        if target == "api share incident yardley":
            return client.post(f"/api/v1/incidents/{ref}/share", {"format": "stix", "tlp": "amber"}, content_type="application/json")
    if "campaign" in target and target not in {"page campaigns", "api campaigns"}:
        pk = _campaign(world).pk
        pages["page share campaign"] = f"/monitoring/campaigns/{pk}/share/"
        if target == "api share campaign":
            return client.post(f"/api/v1/campaigns/{pk}/share", {"format": "misp", "tlp": "green"}, content_type="application/json")
    pages.update({
        "page incidents": "/incidents/", "page report an incident": "/incidents/report/",
        "page access requests": "/incidents/access-requests/", "api incidents": "/api/v1/incidents",
        "api access requests": "/api/v1/access-requests",
    })
    if "message" in target or "timeline" in target:
        pk = _message(world).pk
        pages.update({
            "page flagged messages": "/monitoring/", "page flagged message yardley": f"/monitoring/messages/{pk}/",
            "page abuse timeline yardley": f"/candidates/{c.yardley_1.pk}/abuse-timeline/",
            "api message queue": "/api/v1/messages/queue", "api message yardley": f"/api/v1/messages/{pk}",
            "api abuse timeline yardley": f"/api/v1/candidates/{c.yardley_1.pk}/abuse-timeline",
        })
        if target == "page message decision (empty)":
            return client.post(f"/monitoring/messages/{pk}/decision/", {})
        if target == "api message dismiss":
            return client.post(f"/api/v1/messages/{pk}/decision", {"decision": "dismiss"}, content_type="application/json")
        if target == "api ingest messages (empty)":
            return client.post("/api/v1/messages", {"messages": []}, content_type="application/json")
    pages.update({
        "page guidance": "/guidance/", "page safety home": "/safety/", "page safety plan yardley": f"/candidates/{c.yardley_1.pk}/safety-plan/",
        "page pledge yardley": f"/candidates/{c.yardley_1.pk}/pledge/", "page candidates' safety": "/safety/candidates/",
        "page public pledge list": f"/pledge/{c.yardley_1.ballot.election.election_id}/",
        "page outreach worklist": "/outreach/", "page your police adviser": "/your-police-adviser/",
        "page outreach candidate yardley": reverse("outreach:candidate", args=[c.yardley_1.pk]),
        "api outreach worklist": "/api/v1/outreach/worklist", "api invitations": "/api/v1/invitations",
        "page check-ins": "/checkins/", "page escalated check-ins": "/checkins/escalated/",
        "api check-ins": "/api/v1/checkins", "api escalated check-ins": "/api/v1/checkins/escalated",
        "page insights": "/insights/", "page insights records": "/insights/records/", "api insights": "/api/v1/insights",
        "page campaigns": "/monitoring/campaigns/", "api campaigns": "/api/v1/campaigns",
        "page live sources": "/monitoring/sources/", "api live sources": "/api/v1/sources",
        "page mastodon accounts": "/monitoring/mastodon/", "api mastodon accounts": "/api/v1/mastodon/accounts",
        "page partners' bundles": "/sharing/", "page import a bundle": "/sharing/import/", "api partners' bundles": "/api/v1/sharing/imports",
    })
    pages.update({"page warning list": "/incidents/warning-list/", "api warning list": "/api/v1/observable-warnings"})
    if target == "page warning list add (empty)":
        return client.post("/incidents/warning-list/", {})
    if target == "api add warning (empty)":
        return client.post("/api/v1/observable-warnings", {}, content_type="application/json")
    if "survey" in target:
        _survey(world)
        pages.update({
            "page survey": "/survey/", "page survey respond yardley": f"/survey/{c.yardley_1.pk}/", "page survey respond clw": f"/survey/{c.clw_1.pk}/",
            "page survey closing dates": "/survey/elections/", "page survey closing date ge": f"/survey/elections/{world.elections.ge.pk}/",
            "api survey": "/api/v1/survey", "api survey closing dates": "/api/v1/survey/elections",
            "page insights survey": "/insights/survey/", "api insights survey": "/api/v1/insights/survey",
        })
        if target == "api survey response (empty)":
            return client.post(f"/api/v1/survey/{c.yardley_1.pk}/response", {}, content_type="application/json")
        if target == "api survey closing date (empty)":
            return client.put(f"/api/v1/survey/elections/{world.elections.ge.election_id}/closing-date", {}, content_type="application/json")
    pages.update({
        "page checklists": "/checklists/", "page checklist": "/checklists/threat_to_kill_or_harm/",
        "page checklist edit": "/checklists/threat_to_kill_or_harm/edit/", "api checklist templates": "/api/v1/checklist-templates",
    })
    if target == "api checklist version (empty)":
        return client.post("/api/v1/checklist-templates/threat_to_kill_or_harm/versions", {}, content_type="application/json")
    if "clock" in target:
        wmp = world.users.feoa_wmp
        if not wmp.is_force_lead:
            wmp.is_force_lead = True
            wmp.save(update_fields=["is_force_lead"])
        f = world.forces
        pages.update({
            "page clocks": "/insights/clocks/", "api clocks": "/api/v1/insights/clocks",
            "page clock targets": "/insights/clocks/targets/", "api clock targets": "/api/v1/insights/clocks/targets",
            "page clock targets wmp": f"/insights/clocks/targets/{f.wmp.code}/", "page clock targets met": f"/insights/clocks/targets/{f.met.code}/",
            "page clock breaches": "/insights/clocks/breaches/", "api clock breaches": "/api/v1/insights/clocks/breaches",
            "api clock breaches met": f"/api/v1/insights/clocks/breaches?force={f.met.code}",
        })
        if target == "api set clock targets wmp (empty)":
            return client.put(f"/api/v1/insights/clocks/targets/{f.wmp.code}", {}, content_type="application/json")
    if target == "api notify receipt (no token)":
        return client.post("/notify/receipts/", {"id": "x", "status": "delivered"}, content_type="application/json")
    if target in pages:
        return client.get(pages[target])
    if target == "api report (empty)":
        return client.post("/api/v1/incidents", {}, content_type="application/json")
    if target == "api handover (empty)":
        return client.post("/api/v1/handover", {"items": []}, content_type="application/json")
    if target == "api propose access (empty)":
        return client.post("/api/v1/access-changes/grants", {}, content_type="application/json")
    if target == "api suspend a user (empty)":
        return client.post("/api/v1/access-changes/suspension", {}, content_type="application/json")
    if target == "api import a bundle (empty)":
        return client.post("/api/v1/sharing/imports", {})
    if target == "api import candidates (no file)":
        return client.post("/api/v1/imports/candidates", {})
    raise AssertionError(target)


def _client(role: str, world) -> Client:
    if role == "anonymous":
        return Client()
    if role == "feoa_unverified":
        client = Client()
        client.force_login(world.users.feoa_met)  # password accepted, no second factor yet
        return client
    user = {
        "candidate": world.users.candidate, "staff": world.users.staff, "ro_westminster": world.users.ro_westminster,
        "feoa_met": world.users.feoa_met, "feoa_city": world.users.feoa_city, "feoa_wmp": world.users.feoa_wmp,
        "analyst": world.users.analyst, "admin": world.users.admin,
    }[role]
    return signed_in_client(user)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_against_every_page_and_endpoint(world, role):
    client = _client(role, world)
    expected = {target: codes[ROLES.index(role)] for target, codes in MATRIX.items()}
    actual = {target: _request(client, target, world).status_code for target in MATRIX}
    wrong = {t: f"expected {expected[t]}, got {actual[t]}" for t in MATRIX if actual[t] != expected[t]}
    assert wrong == {}, f"{role}: {wrong}"


def test_unverified_session_is_sent_to_the_second_factor(world):
    client = Client()
    client.force_login(world.users.feoa_met)
    response = client.get("/candidates/")
    assert response.status_code == 302 and response["Location"].startswith("/sign-in/verify")


def test_anonymous_pages_redirect_to_sign_in(world):
    response = Client().get("/candidates/")
    assert response.status_code == 302 and "/sign-in" in response["Location"]
