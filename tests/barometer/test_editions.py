"""Editions: frozen after the quarter, 15 days of preview for the platforms, then published."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from fairplace.barometer.editions import EditionError, freeze_edition, post_reply, publish_due_editions, publish_edition
from fairplace.barometer.facts import quarter_bounds
from fairplace.barometer.models import AggregateCell, Edition, EditionFigure
from fairplace.core.outbox import deliver_due
from fairplace.platforms.models import Marketplace

from ..conftest import login_as

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 22)


@pytest.fixture
def cells(reference_data):
    cdiscount = Marketplace.objects.get(slug="cdiscount").pk
    for measure, count in (("received", 40), ("answer_decided", 35), ("answered_in_time", 20), ("rated", 3)):
        AggregateCell.objects.create(marketplace_id=cdiscount, period="2026-T3", measure=measure, count=count)
    return cdiscount


def test_freeze_needs_a_finished_quarter_and_fifteen_days(cells):
    with pytest.raises(EditionError, match="pas terminé"):
        freeze_edition("2026-T4", today=TODAY)
    with pytest.raises(EditionError, match="15 jours"):
        freeze_edition("2026-T3", today=TODAY, publication_date=date(2026, 11, 30))
    with pytest.raises(EditionError, match="2026-T3"):
        freeze_edition("2026-Q3", today=TODAY)
    assert not Edition.objects.exists()


def test_freeze_stores_only_publishable_figures_and_tells_the_platforms(cells, personas, settings):
    settings.FAIRPLACE_OUTBOX_DELIVERY = "worker"
    edition = freeze_edition("2026-T3", today=TODAY)
    assert edition.status == Edition.Status.PREVIEW
    assert edition.publication_date == date(2026, 12, 7)
    received = edition.figures.get(marketplace_id=cells, indicator="reports_received")
    assert (received.status, received.n) == ("ok", 40)
    in_time = edition.figures.get(marketplace_id=cells, indicator="answered_in_time")
    assert in_time.k == 20 and in_time.n == 35 and in_time.ci_low < 20 / 35 < in_time.ci_high
    rated = edition.figures.get(marketplace_id=cells, indicator="answer_satisfactory")
    assert rated.status == "below_5" and rated.n is None and rated.value is None
    assert not EditionFigure.objects.filter(n__in=[1, 2, 3, 4]).exists()
    assert not EditionFigure.objects.filter(k__in=[1, 2, 3, 4]).exists()
    deliver_due()
    assert [message.to for message in mail.outbox] == [["rep@cdiscount.test"], ["rep@manomano.test"]]
    assert "/plateforme/barometre/2026-T3/" in mail.outbox[0].body


def test_publication_waits_for_the_preview_and_freezes_the_figures(cells, personas):
    edition = freeze_edition("2026-T3", today=TODAY)
    with pytest.raises(EditionError, match="07/12/2026"):
        publish_edition(edition, today=date(2026, 12, 6))
    assert publish_due_editions(today=date(2026, 12, 6)) == 0
    assert publish_due_editions(today=date(2026, 12, 7)) == 1
    edition.refresh_from_db()
    assert edition.status == Edition.Status.PUBLISHED and edition.published_at
    with pytest.raises(EditionError, match="déjà publiée"):
        freeze_edition("2026-T3", today=TODAY)
    with pytest.raises(EditionError, match="publiée"):
        post_reply(edition, Marketplace.objects.get(slug="cdiscount"), author=personas["platform_a"], text="Trop tard")


def test_a_platform_reads_its_figures_and_replies_during_the_preview(client, cells, personas):
    edition = freeze_edition("2026-T3", today=TODAY)
    login_as(client, personas, "platform_a")
    page = client.get(reverse("barometer_platform:edition", args=[edition.code]))
    assert page.status_code == 200
    assert "Signalements reçus" in page.content.decode()
    empty = client.post(reverse("barometer_platform:reply", args=[edition.code]), {"text": "  "})
    assert empty.status_code == 422 and "Écrivez votre réponse" in empty.content.decode()
    too_long = client.post(reverse("barometer_platform:reply", args=[edition.code]), {"text": "x" * 3001})
    assert too_long.status_code == 422 and "3000 caractères" in too_long.content.decode().replace("\u202f", "")
    sent = client.post(
        reverse("barometer_platform:reply", args=[edition.code]),
        {"text": "Nos délais se sont améliorés depuis septembre."},
    )
    assert sent.status_code == 302
    again = client.post(reverse("barometer_platform:reply", args=[edition.code]), {"text": "Texte corrigé."})
    assert again.status_code == 302
    reply = edition.replies.get()
    assert (reply.text, reply.marketplace.slug, reply.author) == ("Texte corrigé.", "cdiscount", personas["platform_a"])


def test_a_supervisor_freezes_from_the_back_office(client, cells, personas):
    login_as(client, personas, "supervisor")
    bad = client.post(reverse("barometer_backoffice:freeze"), {"code": "troisième trimestre"})
    assert bad.status_code == 422 and "2026-T3" in bad.content.decode()
    assert client.get(reverse("barometer_backoffice:overview")).status_code == 200
    done = client.post(reverse("barometer_backoffice:freeze"), {"code": "2025-T3"})
    assert done.status_code == 302
    assert Edition.objects.get().code == "2025-T3"


def test_from_events_to_exports_no_count_from_1_to_4_is_published(client, reference_data, make_report, personas):
    """End to end: real reports and steps, the real freeze and publication, the real exports."""
    import json

    from django.core.cache import cache

    from fairplace.barometer.compute import refresh_stale
    from fairplace.reports.workflow import apply_transition

    from .test_opendata import assert_no_small_counts, read_csv

    for index in range(3):  # 3 reports on ManoMano: "moins de 5" everywhere
        report = make_report(state="qualified", marketplace="manomano", email=f"vendeur{index}@exemple.fr")
        apply_transition(report, "forward", actor=personas["agent"])
    submitted = timezone.localtime(make_report(marketplace="cdiscount", email="dernier@exemple.fr").submitted_at)
    refresh_stale()
    code = f"{submitted.year}-T{(submitted.month - 1) // 3 + 1}"
    edition = freeze_edition(code, today=quarter_bounds(code)[1] + timedelta(days=1))
    publish_edition(edition, today=edition.publication_date)
    cache.clear()
    rows = read_csv(client.get(reverse("barometer:edition_data", args=[code, "csv"])).content)
    assert_no_small_counts(rows)
    found = {(row["marketplace"], row["indicator"]): row for row in rows if not row["breakdown"]}
    assert found[("manomano", "reports_received")]["status"] == "below_5"
    assert found[("manomano", "reports_received")]["n"] == ""
    api = json.loads(client.get(f"/api/v1/editions/{code}/figures/?page_size=1000").content)["results"]
    assert_no_small_counts(api)
    page = client.get(reverse("barometer:marketplace", args=["manomano"])).content.decode()
    assert "moins de 5" in page
