"""Every route of the case-handling spaces × every persona → the expected status.

Not logged in → the login page; logged in with the wrong role → 403; the right role but an
object outside one's scope → 404 (a platform reading another platform's report by reference,
a mediator opening a case referred to someone else, an agent downloading a colleague's
export). A route added without a line here fails ``test_every_route_is_in_the_matrix``.

The identity-leak check fetches every page and export a platform can reach for a report
whose seller chose to stay anonymous, and looks for each piece of the seller's identity.
"""

from dataclasses import dataclass, field
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from fairplace.barometer.models import Edition
from fairplace.observatory.fees.models import FeeChange, FeeSchedule
from fairplace.observatory.terms.models import (
    FetchFailure,
    NoticeCheck,
    SellerNotice,
    Snapshot,
    TermsVersion,
    TrackedDocument,
)
from fairplace.reports import intake, messaging
from fairplace.reports.models import Attachment, ExportJob, SavedFilter
from fairplace.reports.workflow import apply_transition

from .conftest import LA_POSTE_SIRET, login_as

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "no_role",
    "agent",
    "supervisor",
    "administrator",
    "platform_a",
    "platform_b",
    "mediator",
    "other_mediator",
]
OBSERVATORY = {"agent", "supervisor", "administrator"}
PLATFORMS = {"platform_a", "platform_b"}
MEDIATORS = {"mediator", "other_mediator"}
SUPERVISORS = {"supervisor", "administrator"}
OK = "ok"  # 200 for a page; for a POST with an empty or invalid form: 200, 302 (not to login) or 422
LOGIN = "login"


@dataclass(frozen=True)
class Route:
    name: str
    args: tuple = ()
    method: str = "GET"
    allowed: frozenset = frozenset()
    # Personas with the right role but outside the object's scope.
    out_of_scope: frozenset = field(default=frozenset())

    def expected(self, persona: str):
        if persona in self.allowed:
            return OK
        if persona == "anonymous":
            return LOGIN
        if persona in self.out_of_scope:
            return 404
        return 403


def observatory(name, *args, method="GET", allowed=OBSERVATORY, out_of_scope=frozenset()):
    return Route(name, args, method, frozenset(allowed), frozenset(out_of_scope))


def platform(name, *args, method="GET", scoped=True):
    # Platform A's report: platform B has the right role but not the scope.
    return Route(
        name,
        args,
        method,
        frozenset({"platform_a"} if scoped else PLATFORMS),
        frozenset({"platform_b"} if scoped else ()),
    )


def mediation(name, *args, method="GET", scoped=True):
    return Route(
        name,
        args,
        method,
        frozenset({"mediator"} if scoped else MEDIATORS),
        frozenset({"other_mediator"} if scoped else ()),
    )


def routes(world) -> list[Route]:
    ref, med = world["forwarded"].reference, world["mediation"].reference
    agent_only = {"agent"}
    return [
        observatory("backoffice:queue"),
        observatory("backoffice:bulk", method="POST"),
        observatory("backoffice:save_filter", method="POST"),
        observatory("backoffice:exports"),
        observatory("backoffice:export_create", method="POST"),
        # Own saved filters and exports only.
        observatory(
            "backoffice:export_download",
            world["export"].pk,
            allowed=agent_only,
            out_of_scope={"supervisor", "administrator"},
        ),
        observatory(
            "backoffice:delete_filter",
            world["saved_filter"].pk,
            method="POST",
            allowed=agent_only,
            out_of_scope={"supervisor", "administrator"},
        ),
        observatory("backoffice:case", ref),
        observatory("backoffice:case_transition", ref, method="POST"),
        observatory("backoffice:case_assign", ref, method="POST"),
        observatory("backoffice:case_note", ref, method="POST"),
        observatory("backoffice:case_requalify", ref, method="POST"),
        observatory("backoffice:case_merge", ref, method="POST"),
        observatory("backoffice:case_message", ref, method="POST"),
        observatory("backoffice:case_message_release", ref, world["held_message"].pk, method="POST"),
        observatory("reports:staff_attachment", world["evidence"].pk),
        platform("platform_space:reports", scoped=False),
        platform("platform_space:export", scoped=False),
        platform("platform_space:report", ref),
        platform("platform_space:answer", ref),
        platform("platform_space:answer", ref, method="POST"),
        platform("platform_space:message", ref, method="POST"),
        platform("platform_space:attachment", ref, world["answer_file"].pk),
        mediation("mediation:cases", scoped=False),
        mediation("mediation:case", med),
        mediation("mediation:stage", med, method="POST"),
        mediation("mediation:note", med, method="POST"),
        mediation("mediation:close", med, method="POST"),
        observatory("barometer_backoffice:overview", allowed=SUPERVISORS),
        observatory("barometer_backoffice:freeze", method="POST", allowed=SUPERVISORS),
        observatory("barometer_backoffice:publish", world["edition"].code, method="POST", allowed=SUPERVISORS),
        observatory("fees_backoffice:schedules"),
        observatory("fees_backoffice:create"),
        observatory("fees_backoffice:create", method="POST"),
        observatory("fees_backoffice:schedule", world["fee_schedule"].pk),
        observatory("fees_backoffice:import"),
        observatory("fees_backoffice:import", method="POST"),
        observatory("fees_backoffice:import_template"),
        observatory("fees_backoffice:changes"),
        observatory("fees_backoffice:change", world["fee_change"].pk),
        observatory("terms_backoffice:failures"),
        observatory("terms_backoffice:resolve_failure", world["fetch_failure"].pk, method="POST"),
        observatory("terms_backoffice:notices"),
        observatory("terms_backoffice:review_notice", world["notice_check"].pk),
        observatory("terms_backoffice:review_notice", world["notice_check"].pk, method="POST"),
        observatory("terms_backoffice:seller_notices"),
        observatory("terms_backoffice:version_notices", world["terms_version"].pk),
        observatory("terms_backoffice:version_notices", world["terms_version"].pk, method="POST"),
        observatory("terms_backoffice:withdraw_seller_notice", world["seller_notice"].pk, method="POST"),
        observatory("jobs_backoffice:overview", allowed={"administrator"}),
        observatory("jobs_backoffice:resend", 1, method="POST", allowed={"administrator"}),
        platform("barometer_platform:editions", scoped=False),
        platform("barometer_platform:edition", world["edition"].code, scoped=False),
        platform("barometer_platform:reply", world["edition"].code, method="POST", scoped=False),
    ]


# The seller's routes: the signed link is the credential, tested in test_seller_links_are_scoped.
SELLER_ROUTES = {
    "reports:tracking",
    "reports:tracking_detail",
    "reports:tracking_attachment",
    "reports:tracking_rate",
    "reports:tracking_action",
    "reports:tracking_message",
    "reports:tracking_withdraw",
}
# Namespaces whose every route must be in the matrix.
GUARDED_NAMESPACES = {
    "backoffice",
    "platform_space",
    "mediation",
    "barometer_backoffice",
    "barometer_platform",
    "fees_backoffice",
    "terms_backoffice",
    "jobs_backoffice",
}


@pytest.fixture
def world(personas, make_report):
    agent = personas["agent"]
    forwarded = make_report("submitted", consent="anonymous", marketplace="cdiscount")
    apply_transition(forwarded, "qualify", actor=agent)
    forwarded = apply_transition(forwarded, "forward", actor=agent)
    referred = make_report(
        "submitted", consent="mediation", marketplace="cdiscount", siret=LA_POSTE_SIRET, email="mediation@exemple.fr"
    )
    apply_transition(referred, "qualify", actor=agent)
    referred = apply_transition(referred, "refer_to_mediation", actor=agent, mediator=personas["mediator"])
    held = messaging.send_message(forwarded, sender="seller", recipient="platform", body="Pouvez-vous me rappeler ?")
    assert held.released_at is None  # an anonymous seller's message waits for an agent
    evidence = _file(forwarded, "capture.png", scan_status=Attachment.ScanStatus.CLEAN)
    answered = make_report("submitted", consent="anonymous", marketplace="cdiscount", email="autre@exemple.fr")
    apply_transition(answered, "qualify", actor=agent)
    apply_transition(answered, "forward", actor=agent)
    apply_transition(
        answered,
        "record_answer",
        actor=personas["platform_a"],
        actor_kind="platform",
        kind="accepted",
        actions=["reinstatement"],
        message_for_seller="Compte rétabli.",
    )
    answer_file = _file(forwarded, "reponse.pdf", answer=answered.platform_answers.get())
    Attachment.objects.filter(pk=answer_file.pk).update(report=forwarded)  # a file of platform A's answer
    job = ExportJob.objects.create(
        requested_by=agent, format="csv", status=ExportJob.Status.DONE, created_at=timezone.now(), row_count=0
    )
    job.file.save("export.csv", ContentFile(b"reference\n"))
    edition = Edition.objects.create(
        code="2026-T2",
        period_start=date(2026, 4, 1),
        period_end=date(2026, 6, 30),
        frozen_at=timezone.now(),
        publication_date=date(2099, 1, 1),
        methodology_version="test",
    )
    old_fees = FeeSchedule.objects.create(
        marketplace=forwarded.marketplace,
        effective_on=date(2026, 1, 1),
        observed_on=date(2026, 1, 1),
        reliability="primary",
    )
    new_fees = FeeSchedule.objects.create(
        marketplace=forwarded.marketplace,
        effective_on=date(2026, 4, 1),
        observed_on=date(2026, 4, 1),
        reliability="primary",
    )
    fee_change = FeeChange.objects.create(
        marketplace=forwarded.marketplace,
        previous=old_fees,
        schedule=new_fees,
        kind="commission",
        measure="rate",
        old_value=15,
        new_value=17,
        severity="high",
    )
    terms = _terms_world(forwarded.marketplace, make_report("submitted", marketplace="cdiscount", family_code="TCCHG"))
    return {
        **terms,
        "edition": edition,
        "forwarded": forwarded,
        "fee_schedule": new_fees,
        "fee_change": fee_change,
        "mediation": referred,
        "held_message": held,
        "evidence": evidence,
        "answer_file": answer_file,
        "export": job,
        "saved_filter": SavedFilter.objects.create(user=agent, name="Nouveaux", query="state=submitted"),
    }


def _terms_world(marketplace, terms_report) -> dict:
    document = TrackedDocument.objects.create(
        marketplace=marketplace, service_name=marketplace.name, doc_type="seller_terms", title="Conditions des vendeurs"
    )
    snapshot = Snapshot.objects.create(
        document=document,
        fetched_at=timezone.now(),
        source="fetch",
        markdown="# Conditions",
        fingerprint="0" * 64,
        verdict="first",
    )
    version = TermsVersion.objects.create(document=document, snapshot=snapshot, first_seen_at=snapshot.fetched_at)
    notice = NoticeCheck.objects.create(version=version, status="short", gap_days=5, needs_review=True)
    failure = FetchFailure.objects.create(document=document, occurred_at=timezone.now(), kind="blocked")
    seller_notice = SellerNotice.objects.create(
        version=version, report=terms_report, notified_on=date(2026, 1, 5), linked_at=timezone.now()
    )
    return {"fetch_failure": failure, "notice_check": notice, "terms_version": version, "seller_notice": seller_notice}


def _file(report, name, **fields) -> Attachment:
    attachment = Attachment(
        report=report,
        original_name=name,
        kind=name.rsplit(".", 1)[1],
        size=9,
        sha256="0" * 64,
        uploaded_at=timezone.now(),
        **fields,
    )
    attachment.file.save(attachment.id.hex, ContentFile(b"contenu !"), save=False)
    attachment.save()
    return attachment


def _observed(response) -> object:
    if response.status_code == 302 and "/compte/connexion/" in response["Location"]:
        return LOGIN
    if response.status_code in (200, 302, 422):
        return OK
    return response.status_code


def _all_route_names(resolver=None, namespace="") -> set[str]:
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= _all_route_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(f"{namespace}{entry.name}")
    return names


def test_every_route_is_in_the_matrix(world):
    guarded = {name for name in _all_route_names() if name.split(":")[0] in GUARDED_NAMESPACES}
    guarded |= {"reports:staff_attachment"}
    in_matrix = {route.name for route in routes(world)}
    assert guarded - in_matrix == set(), "routes without an expected status per persona"
    assert _all_route_names() >= SELLER_ROUTES


@pytest.mark.parametrize("persona", PERSONAS)
def test_permission_matrix(personas, world, persona):
    """One persona (logged in once) against every route: {route: (observed, expected)} of the mismatches."""
    client = login_as(Client(), personas, persona)
    failures = {}
    for route in routes(world):
        url = reverse(route.name, args=route.args)
        response = client.get(url) if route.method == "GET" else client.post(url, {})
        observed, expected = _observed(response), route.expected(persona)
        if observed != expected:
            failures[f"{route.method} {route.name}"] = (observed, expected)
    assert failures == {}, f"{persona}: route → (observed, expected)"


def test_a_platform_cannot_read_another_platforms_report_by_its_reference(client, personas, world):
    login_as(client, personas, "platform_b")
    reference = world["forwarded"].reference
    for name in ("platform_space:report", "platform_space:answer"):
        assert client.get(reverse(name, args=[reference])).status_code == 404
    response = client.post(reverse("platform_space:message", args=[reference]), {"body": "Bonjour"})
    assert response.status_code == 404
    assert world["forwarded"].messages.filter(sender="platform").count() == 0
    listing = client.get(reverse("platform_space:reports"))
    assert reference.encode() not in listing.content
    export = client.get(reverse("platform_space:export"))
    assert reference.encode() not in b"".join(export.streaming_content if export.streaming else [export.content])


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def identity_strings(report) -> list[str]:
    return [
        value
        for value in (
            report.siret,
            report.siren,
            report.company_name,
            report.contact_first_name,
            report.contact_last_name,
            report.contact_email,
            report.contact_phone,
            f"{report.siren[:3]} {report.siren[3:6]} {report.siren[6:]}",
        )
        if value
    ]


@pytest.mark.parametrize("consent, leaks", [("anonymous", False), ("identified", True)])
def test_no_identity_reaches_a_platform_page_or_export_without_consent(client, personas, make_report, consent, leaks):
    agent = personas["agent"]
    report = make_report("submitted", consent=consent, marketplace="cdiscount", email="camille@atelier-martin.fr")
    apply_transition(report, "qualify", actor=agent)
    apply_transition(report, "forward", actor=agent)
    messaging.send_message(report, sender="observatory", recipient="platform", body="Merci de répondre.", author=agent)
    login_as(client, personas, "platform_a")
    pages = [
        client.get(reverse(name, args=args))
        for name, args in [
            ("platform_space:reports", ()),
            ("platform_space:export", ()),
            ("platform_space:report", (report.reference,)),
            ("platform_space:answer", (report.reference,)),
        ]
    ]
    answered = client.post(
        reverse("platform_space:answer", args=[report.reference]),
        {
            "kind": "rejected",
            "rejection_reasons": ["terms_breach"],
            "message_for_seller": "Nous maintenons la décision.",
        },
    )
    assert answered.status_code == 302
    pages.append(client.get(reverse("platform_space:report", args=[report.reference])))
    assert all(page.status_code == 200 for page in pages)
    bodies = [(page.request["PATH_INFO"], _body(page).decode()) for page in pages]  # streamed: read once
    assert report.reference in dict(bodies)["/plateforme/export.csv"]  # the export holds the report...
    found = [(path, [value for value in identity_strings(report) if value in body]) for path, body in bodies]
    if leaks:  # the seller chose to forward their identity: the report page and the export carry it
        assert dict(found)["/plateforme/export.csv"] and dict(found)[f"/plateforme/signalements/{report.reference}/"]
    else:  # ...and otherwise no page nor export carries any piece of it
        assert found == [(path, []) for path, _body_text in bodies]


def test_seller_links_are_scoped(client, make_report):
    mine = make_report("answered", consent="anonymous")
    theirs = make_report("answered", consent="anonymous", email="autre.vendeur@exemple.fr", siret=LA_POSTE_SIRET)
    token = intake.tracking_token(mine.contact)
    assert client.get(reverse("reports:tracking_detail", args=[token, mine.reference])).status_code == 200
    for name in ("reports:tracking_detail",):
        assert client.get(reverse(name, args=[token, theirs.reference])).status_code == 404
        assert client.get(reverse(name, args=["faux-jeton", mine.reference])).status_code == 404
    for name in (
        "reports:tracking_rate",
        "reports:tracking_action",
        "reports:tracking_message",
        "reports:tracking_withdraw",
    ):
        response = client.post(
            reverse(name, args=[token, theirs.reference]), {"value": "satisfied", "body": "x", "confirm": "on"}
        )
        assert response.status_code == 404, name
    theirs.refresh_from_db()
    assert theirs.state == "answered" and not theirs.messages.exists() and not theirs.feedback.exists()
