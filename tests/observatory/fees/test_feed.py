"""The Atom feed of fee changes (/observatoire/frais/evolutions/flux.atom)."""

import html
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from fairplace.observatory.fees.models import FeeChange, FeeSchedule
from fairplace.platforms.models import Marketplace

from .test_public_pages import TODAY, cdiscount, change, link_reports, schedule  # noqa: F401

ATOM = "{http://www.w3.org/2005/Atom}"
NBSP = "\u00a0"


def parse(response):
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own server's output, in a test)


def entries(feed):
    return feed.findall(f"{ATOM}entry")


def test_feed_is_valid_atom_with_one_entry_per_changed_version(client, cdiscount):  # noqa: F811
    feed = parse(client.get(reverse("fees:feed")))
    assert feed.tag == f"{ATOM}feed"
    for element in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{element}") is not None, element
    assert feed.find(f"{ATOM}link[@rel='self']").get("href").endswith(reverse("fees:feed"))
    (entry,) = entries(feed)
    current, old = cdiscount["current"], cdiscount["old"]
    assert entry.findtext(f"{ATOM}title") == f"Cdiscount : évolution des frais au {current.effective_on:%d/%m/%Y}"
    link = entry.find(f"{ATOM}link").get("href")
    assert link.endswith(f"{reverse('fees:compare', args=['cdiscount'])}?de={old.id}&a={current.id}")
    assert link.startswith("http://testserver/")
    for element in ("id", "updated", "published"):
        assert entry.findtext(f"{ATOM}{element}"), element
    content = entry.find(f"{ATOM}content")
    assert content.get("type") == "html"
    body = html.unescape(content.text)
    assert body.startswith("<ul><li>")
    assert f"Commission Mode, jusqu'à 15{NBSP}€ : 7{NBSP}% → 5{NBSP}%" in body
    assert f"Abonnement Standard : 39,99{NBSP}€ → 49,99{NBSP}€" in body
    assert "préavis inférieur à 15 jours" in body


def test_feed_entry_dates_follow_recording(client, cdiscount):  # noqa: F811
    recorded = timezone.now() - timedelta(days=3)
    FeeChange.objects.filter(pk=cdiscount["mode"].pk).update(recorded_at=recorded)
    (entry,) = entries(parse(client.get(reverse("fees:feed"))))
    published = entry.findtext(f"{ATOM}published")
    updated = entry.findtext(f"{ATOM}updated")
    assert published.startswith(recorded.strftime("%Y-%m-%dT%H:%M"))
    assert updated > published


def test_feed_keeps_the_last_50_versions_with_unique_ids(client, reference_data):
    place = Marketplace.objects.get(slug="ebay")
    versions = [
        FeeSchedule.objects.create(
            marketplace=place, effective_on=TODAY - timedelta(days=day), observed_on=TODAY, reliability="secondary"
        )
        for day in range(60, 0, -1)
    ]
    for before, after in zip(versions, versions[1:], strict=False):
        change(before, after, kind="payment", measure="rate", old_value=Decimal(1), new_value=Decimal(2))
    feed = parse(client.get(reverse("fees:feed")))
    ids = [entry.findtext(f"{ATOM}id") for entry in entries(feed)]
    assert len(ids) == 50 and len(set(ids)) == 50
    # The latest recorded come first; the oldest nine are left out.
    assert ids[0].endswith(f"#version-{versions[-1].id}")
    assert not any(i.endswith(f"#version-{versions[1].id}") for i in ids)


def test_feed_can_follow_one_marketplace(client, cdiscount):  # noqa: F811
    fnac_old = schedule("fnac", TODAY - timedelta(days=90))
    fnac_new = schedule("fnac", TODAY - timedelta(days=9))
    change(fnac_old, fnac_new, kind="subscription", measure="amount", old_value=Decimal(39), new_value=Decimal(49))
    everything = parse(client.get(reverse("fees:feed")))
    assert len(entries(everything)) == 2
    only_fnac = parse(client.get(reverse("fees:feed"), {"place": "fnac"}))
    (entry,) = entries(only_fnac)
    assert entry.findtext(f"{ATOM}title").startswith("Fnac : ")
    assert "Fnac" in only_fnac.findtext(f"{ATOM}title")
    assert only_fnac.find(f"{ATOM}link[@rel='self']").get("href").endswith("?place=fnac")


def test_feed_rejects_an_unknown_marketplace(client, reference_data):
    response = client.get(reverse("fees:feed"), {"place": "nulle-part"})
    assert response.status_code == 400
    assert "n’existe pas" in response.content.decode()


def test_feed_leaves_out_withdrawn_changes(client, cdiscount):  # noqa: F811
    FeeChange.objects.filter(schedule=cdiscount["current"]).update(withdrawn_at=timezone.now())
    assert entries(parse(client.get(reverse("fees:feed")))) == []


def test_feed_suppresses_small_report_counts(client, cdiscount, make_report):  # noqa: F811
    report = make_report()
    link_reports(cdiscount["mode"], report, 2)
    (entry,) = entries(parse(client.get(reverse("fees:feed"))))
    body = html.unescape(entry.find(f"{ATOM}content").text)
    assert "Signalé par moins de 5 vendeurs" in body and "Signalé par 2" not in body
    assert "Atelier Martin" not in body and report.siret not in body


@pytest.mark.parametrize("place", [None, "cdiscount"])
def test_feed_queries_are_bounded(client, cdiscount, django_assert_max_num_queries, place):  # noqa: F811
    for slug in ("fnac", "ebay", "rakuten"):
        before, after = schedule(slug, TODAY - timedelta(days=50)), schedule(slug, TODAY - timedelta(days=5))
        change(before, after, kind="commission", measure="rate", old_value=Decimal(1), new_value=Decimal(2))
    with django_assert_max_num_queries(4):
        client.get(reverse("fees:feed"), {"place": place} if place else {})
