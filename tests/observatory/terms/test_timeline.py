"""One marketplace's timeline of changes of terms, across its tracked documents, and its Atom feed."""

import pytest
from django.urls import reverse

from fairplace.platforms.models import Marketplace

from .factories import make_document, make_version, short_notice
from .test_pages import FEES_CHANGE, SUSPENSION_ADDED, atom

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
RANKING_CHANGE = {"kind": "modified", "title": "Classement", "topics": ["ranking"], "old_text": "a", "new_text": "b"}


@pytest.fixture
def cdiscount_history(reference_data):
    """Cdiscount: seller terms (a change in 2024 with a short notice, a cosmetic one, a change in 2025) and a
    ranking page (a change in 2025); ManoMano: one change; kaufland.de (outside the registry): one change."""
    cdiscount = Marketplace.objects.get(slug="cdiscount")
    terms = make_document("Cdiscount", "Conditions générales des vendeurs", marketplace=cdiscount)
    ranking = make_document("Cdiscount", "Paramètres de classement", marketplace=cdiscount, doc_type="ranking")
    first = make_version(terms, "2024-01-10")
    fees = make_version(terms, "2024-08-05", previous=first, changes=[FEES_CHANGE], notice=short_notice())
    cosmetic = make_version(
        terms,
        "2024-09-01",
        previous=fees,
        substantive=False,
        changes=[{"kind": "modified", "cosmetic": True, "topics": ["payment"]}],
    )
    suspension = make_version(terms, "2025-02-01", previous=cosmetic, changes=[SUSPENSION_ADDED])
    ranking_first = make_version(ranking, "2024-01-10")
    ranking_change = make_version(ranking, "2025-03-01", previous=ranking_first, changes=[RANKING_CHANGE])
    manomano = make_document("ManoMano", "CGV", marketplace=Marketplace.objects.get(slug="manomano"))
    other = make_version(manomano, "2025-01-01", previous=make_version(manomano, "2024-01-01"), changes=[FEES_CHANGE])
    kaufland = make_document("kaufland.de", "AGB für Verkäufer")
    kaufland_change = make_version(
        kaufland, "2025-05-05", previous=make_version(kaufland, "2024-05-05"), changes=[FEES_CHANGE]
    )
    return {
        "fees": fees,
        "cosmetic": cosmetic,
        "suspension": suspension,
        "ranking": ranking_change,
        "first": first,
        "other": other,
        "kaufland": kaufland_change,
    }


def _versions(page: str) -> list[str]:
    return [chunk.split('"', 1)[0] for chunk in page.split('data-version="')[1:]]


def test_timeline_merges_the_marketplaces_documents_newest_first_by_year(
    client, cdiscount_history, django_assert_max_num_queries
):
    url = reverse("terms:marketplace", args=["cdiscount"])
    with django_assert_max_num_queries(6):
        response = client.get(url)
    assert response.status_code == 200
    page = response.content.decode()
    h = cdiscount_history
    assert _versions(page) == [str(h["ranking"].pk), str(h["suspension"].pk), str(h["fees"].pk)]
    assert page.index(">2025</h2>") < page.index(">2024</h2>")
    assert "3 modifications" in page and "dont 1 avec un préavis signalé" in page
    assert "Paramètres de classement" in page and "Conditions générales des vendeurs" in page
    assert reverse("fees:marketplace", args=["cdiscount"]) in page
    assert f"{reverse('terms:feed')}?place=cdiscount" in page


def test_timeline_filters_by_type_topic_and_form(client, cdiscount_history):
    url = reverse("terms:marketplace", args=["cdiscount"])
    h = cdiscount_history
    assert _versions(client.get(url, {"type": "ranking"}).content.decode()) == [str(h["ranking"].pk)]
    assert _versions(client.get(url, {"theme": "fees"}).content.decode()) == [str(h["fees"].pk)]
    with_form = _versions(client.get(url, {"forme": "on"}).content.decode())
    assert str(h["cosmetic"].pk) in with_form and len(with_form) == 4
    page = client.get(url, {"theme": "fees", "type": "seller_terms"}).content.decode()
    assert _versions(page) == [str(h["fees"].pk)] and "Tout afficher" in page
    page = client.get(url, {"theme": "fees", "type": "ranking"}).content.decode()
    assert _versions(page) == [] and "Aucune modification ne correspond à ces filtres." in page


def test_a_wrong_filter_is_ignored_with_a_french_message(client, cdiscount_history):
    response = client.get(reverse("terms:marketplace", args=["cdiscount"]), {"type": "<script>", "theme": "x"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Type de document inconnu : filtre ignoré." in page and "Thème inconnu : filtre ignoré." in page
    assert len(_versions(page)) == 3 and "<script>" not in page


def test_a_service_outside_the_registry_has_its_timeline(client, cdiscount_history):
    page = client.get(reverse("terms:marketplace", args=["kaufland-de"])).content.decode()
    assert _versions(page) == [str(cdiscount_history["kaufland"].pk)]
    assert client.get(reverse("terms:marketplace", args=["inconnue"])).status_code == 404
    index = client.get(reverse("terms:index")).content.decode()
    assert reverse("terms:marketplace", args=["kaufland-de"]) in index
    assert reverse("terms:marketplace", args=["cdiscount"]) in index


def test_timeline_pages_by_fifty(client, reference_data):
    document = make_document("Cdiscount", "CGV", marketplace=Marketplace.objects.get(slug="cdiscount"))
    previous = make_version(document, "2020-01-01")
    for day in range(1, 56):
        previous = make_version(
            document, f"2021-{1 + day // 28:02d}-{1 + day % 28:02d}", previous=previous, changes=[FEES_CHANGE]
        )
    url = reverse("terms:marketplace", args=["cdiscount"])
    first = client.get(url, {"theme": "fees"}).content.decode()
    assert len(_versions(first)) == 50 and "1 / 2" in first and "theme=fees&amp;page=2" in first
    assert len(_versions(client.get(url, {"theme": "fees", "page": "2"}).content.decode())) == 5


def test_feed_of_one_marketplace(client, cdiscount_history):
    root = atom(client.get(reverse("terms:feed"), {"place": "cdiscount"}))
    links = [entry.find(f"{ATOM}link").get("href") for entry in root.findall(f"{ATOM}entry")]
    h = cdiscount_history
    expected = [reverse("terms:version", args=[h[key].pk]) for key in ("ranking", "suspension", "fees")]
    assert len(links) == 3 and all(link.endswith(path) for link, path in zip(links, expected, strict=True))
    assert "Cdiscount" in root.find(f"{ATOM}title").text
    assert client.get(reverse("terms:feed"), {"place": "inconnue"}).status_code == 404
