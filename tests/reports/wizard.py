"""Drive the wizard through Django's test client, as a browser would."""

import re

from django.core import mail

from fairplace.core.outbox import deliver_due
from fairplace.reports.models import ProblemFamily
from tests.conftest import details_for

STEP_URL = "/signaler/{}/"


def post_step(client, step, data, **extra):
    return client.post(STEP_URL.format(step), {"action": "next", **data}, **extra)


def code_from_outbox() -> str:
    """The worker delivers the outbox (tests run inside a transaction that never commits,
    so on-commit delivery does not fire), then the code is read from the message."""
    deliver_due()
    return re.search(r"\b(\d{6})\b", mail.outbox[-1].body).group(1)


def fill_until_summary(
    client, *, family="SUSP", siret="73282932000074", email="vendeuse@exemple.fr", consent="anonymous"
):
    post_step(client, "plateforme", {"marketplace": "cdiscount"})
    post_step(client, "probleme", {"family": family})
    post_step(client, "details", details_for(ProblemFamily.objects.get(code=family)))
    post_step(client, "description", {"description": "Compte suspendu du jour au lendemain sans aucun motif."})
    post_step(
        client,
        "entreprise",
        {"siret": siret, "company_name": "Atelier Martin", "company_size": "micro", "naf_code": "4791B"},
    )
    response = post_step(client, "contact", {"first_name": "Camille", "last_name": "Martin", "email": email})
    assert response.status_code == 302 and response.url == "/signaler/code/", response
    response = client.post("/signaler/code/", {"action": "verify", "code": code_from_outbox()})
    assert response.url == "/signaler/choix/", response
    post_step(client, "choix", {"consent": consent})


def submit(client, **extra):
    page = client.get(STEP_URL.format("recapitulatif"))
    key = re.search(r'name="submit_key" value="([0-9a-f-]+)"', page.content.decode()).group(1)
    return client.post(STEP_URL.format("recapitulatif"), {"accuracy": "on", "submit_key": key}, **extra), key


def attach_draft(client, draft):
    """Point the client's wizard cookie at an existing draft, as if the seller had typed it."""
    from fairplace.reports.views import wizard_cookies

    client.cookies[wizard_cookies.DRAFT] = wizard_cookies.sign(wizard_cookies.DRAFT, draft.pk)
    return draft
