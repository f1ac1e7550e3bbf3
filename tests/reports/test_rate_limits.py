"""Rate limits per IP and per SIRET end on a clear French page, and lose nothing."""

import pytest

from fairplace.reports.models import Report, ReportDraft
from tests.reports.wizard import STEP_URL, attach_draft

pytestmark = pytest.mark.django_db


def _submit(client, draft):
    attach_draft(client, draft)
    return client.post(STEP_URL.format("recapitulatif"), {"accuracy": "on", "submit_key": str(draft.submit_key)})


def test_too_many_reports_for_one_siret_get_a_clear_page(client, complete_draft, settings):
    settings.FAIRPLACE_RATE_LIMITS = {**settings.FAIRPLACE_RATE_LIMITS, "submit_siret": "2/d"}
    for index in range(2):
        assert _submit(client, complete_draft(email=f"v{index}@exemple.fr")).status_code == 302
    blocked_draft = complete_draft(email="v3@exemple.fr")
    response = _submit(client, blocked_draft)
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    html = response.content.decode()
    assert "Trop de demandes en peu de temps" in html and "Ce que vous avez déjà saisi est conservé." in html
    assert Report.objects.count() == 2
    assert ReportDraft.objects.get(pk=blocked_draft.pk).steps["entreprise"]["siret"] == "73282932000074"
    # Another company is not blocked.
    other = complete_draft(siret="35600000049837", email="v4@exemple.fr")
    assert _submit(client, other).status_code == 302


def test_too_many_reports_from_one_ip(client, complete_draft, settings):
    settings.FAIRPLACE_RATE_LIMITS = {**settings.FAIRPLACE_RATE_LIMITS, "submit_ip": "1/h"}
    assert _submit(client, complete_draft(email="a@exemple.fr")).status_code == 302
    assert _submit(client, complete_draft(siret="35600000049837", email="b@exemple.fr")).status_code == 429


def test_code_requests_are_limited_per_address(client, complete_draft, settings):
    settings.FAIRPLACE_RATE_LIMITS = {**settings.FAIRPLACE_RATE_LIMITS, "code_email": "2/h"}
    attach_draft(client, complete_draft())
    contact = {"action": "next", "first_name": "A", "last_name": "B", "email": "nouvelle@exemple.fr"}
    assert client.post(STEP_URL.format("contact"), contact).status_code == 302
    assert client.post("/signaler/code/", {"action": "resend"}).status_code == 302
    response = client.post("/signaler/code/", {"action": "resend"})
    assert response.status_code == 429 and "Réessayez dans" in response.content.decode()
