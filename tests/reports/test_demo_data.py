"""`make run`'s demo data: every space has something to show, and loading twice changes nothing."""

import pytest
from django.core.management import call_command

from fairplace.core.models import OutboxMessage, User
from fairplace.reports.events import verify_chain
from fairplace.reports.models import Report
from fairplace.reports.queries import terms_change_reports

pytestmark = pytest.mark.django_db


def test_demo_data_fills_every_space_once(reference_data, capsys):
    call_command("load_demo_data")
    states = set(Report.objects.values_list("state", flat=True))
    assert {"submitted", "qualified", "forwarded", "answered", "referred_to_mediation", "closed"} <= states
    platform = User.objects.get(email="plateforme@fairplace.demo")
    mediator = User.objects.get(email="mediateur@fairplace.demo")
    assert Report.objects.visible_to(platform).filter(marketplace__slug="cdiscount").count() == 3
    assert Report.objects.visible_to(mediator).count() == 1
    assert not platform.needs_second_factor and mediator.needs_second_factor
    assert all(verify_chain(report) for report in Report.objects.all())
    # The terms observatory's sellers' notices queue has the three fictitious Amazon reports of March 2024.
    march = [row for row in terms_change_reports() if row["answers"]["change_effective_on"].startswith("2024-03")]
    assert len(march) == 3 and {row["answers"].get("change_announced_on") for row in march} == {"2024-03-13", None}
    printed = capsys.readouterr().out
    assert "plateforme@fairplace.demo" in printed and "Bonjour" not in printed  # no demo e-mail printed
    counts = Report.objects.count(), User.objects.count(), OutboxMessage.objects.count()
    call_command("load_demo_data")
    assert (Report.objects.count(), User.objects.count(), OutboxMessage.objects.count()) == counts
