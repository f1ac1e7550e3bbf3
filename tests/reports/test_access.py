"""Who sees which report: scoped querysets and what a platform is shown."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from fairplace.core.models import User
from fairplace.platforms.models import Marketplace, PlatformRepresentative
from fairplace.reports import intake
from fairplace.reports.access import IDENTITY_FIELDS, get_report_for_user, platform_view
from fairplace.reports.models import Report
from fairplace.reports.workflow import apply_transition

pytestmark = pytest.mark.django_db


@pytest.fixture
def personas(reference_data):
    def user(email, role="", **extra):
        return User.objects.create_user(email, "mot-de-passe-solide-2026", role=role, **extra)

    people = {
        "anonyme": AnonymousUser(),
        "sans_role": user("x@exemple.fr"),
        "agent": user("agent@exemple.fr", "agent"),
        "superviseur": user("sup@exemple.fr", "supervisor"),
        "admin": user("admin@exemple.fr", "administrator"),
        "cdiscount": user("rep@cdiscount.example", "platform"),
        "amazon": user("rep@amazon.example", "platform"),
        "mediateur_a": user("med.a@exemple.fr", "mediator"),
        "mediateur_b": user("med.b@exemple.fr", "mediator"),
        "agent_desactive": user("old@exemple.fr", "agent", is_active=False),
    }
    for key, slug in (("cdiscount", "cdiscount"), ("amazon", "amazon")):
        PlatformRepresentative.objects.create(user=people[key], marketplace=Marketplace.objects.get(slug=slug))
    return people


@pytest.fixture
def reports(complete_draft, personas):
    def submit(**kwargs):
        draft = complete_draft(**kwargs)
        return intake.submit_draft(draft.pk, draft.submit_key, ip="192.0.2.9")

    def forwarded(**kwargs):
        report = submit(**kwargs)
        apply_transition(report, "qualify")
        return apply_transition(report, "forward")

    new = submit()
    anonymous = forwarded(siret="35600000049837", email="a@exemple.fr")
    identified = forwarded(consent="identified", siret="35600000000048", email="b@exemple.fr")
    at_amazon = forwarded(marketplace="amazon", siret="73282932000074", email="c@exemple.fr")
    not_forwarded_cdiscount = submit(email="d@exemple.fr", siret="35600000049837")
    mediation = submit(consent="mediation", email="e@exemple.fr", siret="35600000000048")
    apply_transition(mediation, "qualify")
    apply_transition(mediation, "refer_to_mediation", mediator=personas["mediateur_a"])
    return {
        "new": new,
        "anonymous": anonymous,
        "identified": identified,
        "at_amazon": at_amazon,
        "not_forwarded_cdiscount": not_forwarded_cdiscount,
        "mediation": mediation,
    }


EXPECTED = {
    "anonyme": set(),
    "sans_role": set(),
    "agent_desactive": set(),
    "agent": {"new", "anonymous", "identified", "at_amazon", "not_forwarded_cdiscount", "mediation"},
    "superviseur": {"new", "anonymous", "identified", "at_amazon", "not_forwarded_cdiscount", "mediation"},
    "admin": {"new", "anonymous", "identified", "at_amazon", "not_forwarded_cdiscount", "mediation"},
    "cdiscount": {"anonymous", "identified"},
    "amazon": {"at_amazon"},
    "mediateur_a": {"mediation"},
    "mediateur_b": set(),
}


@pytest.mark.parametrize("persona", list(EXPECTED))
def test_each_persona_sees_exactly_what_its_role_allows(personas, reports, persona):
    user = personas[persona]
    visible = set(Report.objects.visible_to(user).values_list("reference", flat=True))
    assert visible == {reports[name].reference for name in EXPECTED[persona]}
    for name, report in reports.items():
        if name in EXPECTED[persona]:
            assert get_report_for_user(user, report.reference).pk == report.pk
        else:
            with pytest.raises(Http404):
                get_report_for_user(user, report.reference)


def test_a_platform_never_sees_the_identity_of_an_anonymous_seller(reports):
    shown = platform_view(reports["anonymous"])
    report = reports["anonymous"]
    flat = repr(shown)
    for field in IDENTITY_FIELDS:
        value = getattr(report, field)
        assert field not in shown
        if value:
            assert value not in flat
    assert shown["identified"] is False


def test_a_platform_sees_the_identity_when_the_seller_agreed(reports):
    shown = platform_view(reports["identified"])
    assert shown["identified"] is True
    assert shown["siret"] == reports["identified"].siret and shown["contact_email"] == "b@exemple.fr"


def test_referral_records_the_mediator(reports, personas):
    referral = reports["mediation"].mediation_referral
    assert referral.mediator == personas["mediateur_a"]
    event = reports["mediation"].events.get(code="report.referred_to_mediation")
    assert event.payload["mediator_id"] == personas["mediateur_a"].pk
