"""Public pages of the contract-terms observatory: index, document timeline, clause diff, Atom feed."""

import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from fairplace.observatory.terms.text.align import diff_versions
from fairplace.observatory.terms.views.public import safe_diff
from fairplace.platforms.models import Marketplace

from .factories import make_document, make_version, short_notice

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def atom(response):
    assert response.status_code == 200
    return ET.fromstring(response.content)  # noqa: S314 (our own server's output, in a test)


FEES_CHANGE = {
    "kind": "modified",
    "title": "Frais",
    "topics": ["fees"],
    "old_text": "10 euros",
    "new_text": "12 euros",
    "diff_html": "<del>10</del> <ins>12</ins> euros",
}
SUSPENSION_ADDED = {
    "kind": "added",
    "title": "Suspension",
    "topics": ["suspension_termination"],
    "new_text": "Nous pouvons suspendre le compte.",
}


@pytest.fixture
def history(reference_data):
    """Cdiscount's seller terms: a first version, a substantive change (short notice), a cosmetic one;
    Amazon (no marketplace link): a first version and a change with a retained exception."""
    cdiscount = make_document(
        "Cdiscount", "Conditions générales des vendeurs", marketplace=Marketplace.objects.get(slug="cdiscount")
    )
    first = make_version(cdiscount, "2024-01-10")
    changed = make_version(
        cdiscount,
        "2024-08-05",
        previous=first,
        changes=[FEES_CHANGE, SUSPENSION_ADDED],
        notice=short_notice(),
        stated_dates=[
            {"kind": "last_updated", "date": "2024-08-05", "text": "Mise à jour le 5 août 2024"},
            {"kind": "effective", "date": "2024-08-10", "text": "en vigueur au 10 août 2024"},
        ],
    )
    cosmetic = make_version(
        cdiscount,
        "2024-09-01",
        previous=changed,
        substantive=False,
        changes=[
            {
                "kind": "modified",
                "cosmetic": True,
                "topics": ["payment"],
                "old_text": "l'argent",
                "new_text": "l’argent",
            }
        ],
    )
    amazon = make_document("Amazon", "Business Solutions Agreement", doc_type="seller_terms")
    amazon_first = make_version(amazon, "2024-01-01")
    amazon_change = make_version(
        amazon,
        "2024-03-18",
        previous=amazon_first,
        changes=[
            {
                "kind": "removed",
                "title": "Tribunaux",
                "topics": ["jurisdiction"],
                "old_text": "Tribunaux du Luxembourg",
            },
            {"kind": "moved", "title": "Classement", "topics": ["ranking"], "old_text": "x", "new_text": "x"},
        ],
        notice=short_notice(
            status="retroactive", gap_days=-3, review_decision="exception", review_note="Obligation légale (DSA)."
        ),
    )
    make_document("Fnac", "Politique de réclamation", doc_type="complaints")
    return {
        "cdiscount": cdiscount,
        "first": first,
        "changed": changed,
        "cosmetic": cosmetic,
        "amazon": amazon,
        "amazon_change": amazon_change,
    }


def test_index_groups_documents_and_lists_latest_substantive_changes(client, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("terms:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "3 documents suivis" in page
    # grouped by marketplace (registry name) or service name, in alphabetical order
    assert page.index('<caption class="fr-h6">Amazon') < page.index('<caption class="fr-h6">Cdiscount')
    assert page.index('<caption class="fr-h6">Cdiscount') < page.index('<caption class="fr-h6">Fnac')
    assert reverse("terms:document", args=[history["cdiscount"].pk]) in page
    assert "aucune version relevée" in page  # Fnac
    assert "Réclamations et médiation" in page
    # substantive changes: Cdiscount's 5 August, Amazon's 18 March, newest first; no first versions, no cosmetic
    timeline = page[page.index('id="dernieres-modifications"') :]
    assert timeline.index(f'data-version="{history["changed"].pk}"') < timeline.index(
        f'data-version="{history["amazon_change"].pk}"'
    )
    assert f'data-version="{history["cosmetic"].pk}"' not in timeline
    assert f'data-version="{history["first"].pk}"' not in timeline
    assert "préavis inférieur à 15 jours (règlement P2B, art. 3)" in page
    assert "exception retenue — mesuré : effet rétroactif (art. 8)" in page
    assert 'data-topic="fees"' in timeline and "Suspension et résiliation" in timeline
    assert "1 ajoutée" in timeline and "1 modifiée" in timeline


def test_index_counts_substantive_changes_per_document(client, history):
    page = client.get(reverse("terms:index")).content.decode()
    row = page[page.index(f'data-document="{history["cdiscount"].pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="fp-changes">1</td>' in row  # the cosmetic version and the first one do not count
    assert "1er septembre 2024" in row  # last version, in French


def test_index_without_anything(client, db):
    page = client.get(reverse("terms:index")).content.decode()
    assert "Aucun document n’est encore suivi." in page
    assert "Aucune modification de fond n’a encore été relevée." in page


def test_document_timeline(client, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get(reverse("terms:document", args=[history["cdiscount"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cdiscount — Conditions générales des vendeurs" in page
    assert "3 versions, de la plus récente à la plus ancienne" in page
    positions = [page.index(f'data-version="{history[name].pk}"') for name in ("cosmetic", "changed", "first")]
    assert positions == sorted(positions)
    assert "première version relevée" in page and "modification de forme" in page and "modification de fond" in page
    assert "5 août 2024" in page and "10 janvier 2024" in page
    assert "dont 1 de pure forme" in page
    assert "préavis inférieur à 15 jours (règlement P2B, art. 3)" in page
    assert "en cours d’examen" in page
    for name in ("first", "changed", "cosmetic"):
        assert reverse("terms:version", args=[history[name].pk]) in page
    assert f"{reverse('terms:feed')}?document={history['cdiscount'].pk}" in page


def test_document_shows_a_reviewers_exception_as_such(client, history):
    page = client.get(reverse("terms:document", args=[history["amazon"].pk])).content.decode()
    assert "exception retenue — mesuré : effet rétroactif (art. 8)" in page
    assert 'data-notice="retroactive"' in page


def test_unknown_pages_are_404(client, db):
    assert client.get(reverse("terms:document", args=[999999])).status_code == 404
    assert client.get(reverse("terms:version", args=[999999])).status_code == 404
    assert client.get(reverse("terms:feed") + "?document=999999").status_code == 404
    assert client.get(reverse("terms:feed") + "?document=abc").status_code == 404


def test_version_page_shows_the_clause_diff(client, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("terms:version", args=[history["changed"].pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Cdiscount — Conditions générales des vendeurs : version relevée le 5 août 2024" in page
    assert 'data-kind="modified"' in page and 'data-kind="added"' in page
    assert "<del>10</del> <ins>12</ins> euros" in page  # the word diff, as markup
    assert "Version précédente" in page and "Nouvelle version" in page
    assert "Nous pouvons suspendre le compte." in page and "(clause absente)" in page
    assert reverse("terms:version", args=[history["first"].pk]) in page  # the previous version
    # stated dates and the notice check
    assert "Mise à jour le 5 août 2024" in page and "En vigueur le 10 août 2024" in page
    assert "préavis inférieur à 15 jours (règlement P2B, art. 3)" in page
    assert "Écart : 5 jours" in page
    assert "date d’entrée en vigueur indiquée dans le texte" in page


def test_version_page_shows_the_reviewers_decision(client, history):
    page = client.get(reverse("terms:version", args=[history["amazon_change"].pk])).content.decode()
    assert "Décision de l’examinateur : exception retenue" in page
    assert "Obligation légale (DSA)." in page
    assert 'data-kind="removed"' in page and 'data-kind="moved"' in page and "(clause supprimée)" in page


def test_first_version_page(client, history):
    page = client.get(reverse("terms:version", args=[history["first"].pk])).content.decode()
    assert "Premier texte relevé : 10 clauses." in page
    assert "aucune version antérieure" in page


def test_script_in_the_terms_comes_out_escaped(client, reference_data):
    """The word diff HTML is marked safe: words from the page must be escaped by align.py first."""
    old = "# Conditions\n\n## 1. Frais\n\nLe vendeur paie 10 euros par mois.\n"
    new = "# Conditions\n\n## 1. Frais\n\nLe vendeur paie <script>alert(1)</script> 12 euros par mois.\n"
    change = diff_versions(old, new).changes[0]
    document = make_document("Exemple", "CGV <b>piégées</b>")
    first = make_version(document, "2024-01-01")
    version = make_version(
        document,
        "2024-02-01",
        previous=first,
        changes=[
            {
                "kind": change.kind,
                "number": "1.",
                "title": "<img src=x onerror=alert(2)>",
                "topics": ["fees"],
                "old_text": change.old.text,
                "new_text": change.new.text,
                "diff_html": change.word_diff_html(),
            }
        ],
        stated_dates=[{"kind": "effective", "date": "2024-02-01", "text": "<script>alert(3)</script>"}],
    )
    page = client.get(reverse("terms:version", args=[version.pk])).content.decode()
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>piégées" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<del>10</del> <ins>&lt;script&gt;alert(1)&lt;/script&gt; 12</ins>" in page
    assert "&lt;img src=x onerror=alert(2)&gt;" in page


def test_safe_diff_only_lets_bare_ins_and_del_through():
    assert safe_diff("a <ins>b</ins> <del>c</del>") == "a <ins>b</ins> <del>c</del>"
    assert "<script>" not in safe_diff("<ins>b</ins><script>x</script>")
    assert "&lt;ins onclick" in safe_diff('<ins onclick="x">b</ins>')
    assert safe_diff("a > b") == "a &gt; b"


def test_feed_is_valid_atom_of_substantive_changes(client, history, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        response = client.get(reverse("terms:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = atom(response)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == [
        "Cdiscount — Conditions générales des vendeurs : modification du 5 août 2024",
        "Amazon — Business Solutions Agreement : modification du 18 mars 2024",
    ]
    link = entries[0].find(f"{ATOM}link").get("href")
    assert link.endswith(reverse("terms:version", args=[history["changed"].pk]))
    summary = entries[0].findtext(f"{ATOM}summary")
    assert "1 clause ajoutée, 1 clause modifiée" in summary
    assert "Frais" in summary and "préavis inférieur à 15 jours" in summary


def test_feed_of_one_document(client, history):
    response = client.get(reverse("terms:feed") + f"?document={history['amazon'].pk}")
    root = atom(response)
    assert "Business Solutions Agreement" in root.findtext(f"{ATOM}title")
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 1
    assert "exception retenue après examen" in entries[0].findtext(f"{ATOM}summary")


def test_feed_keeps_the_newest_50(client, reference_data):
    document = make_document()
    previous = make_version(document, "2020-01-01")
    for index in range(1, 56):
        day = f"2020-{1 + index // 28:02d}-{1 + index % 28:02d}"
        previous = make_version(document, day, previous=previous, changes=[FEES_CHANGE])
    root = atom(client.get(reverse("terms:feed")))
    assert len(root.findall(f"{ATOM}entry")) == 50
    assert root.find(f"{ATOM}entry").findtext(f"{ATOM}title").endswith("modification du 28 février 2020")


def test_document_page_says_when_it_was_last_checked(client, history):
    from fairplace.observatory.terms.models import TrackedDocument
    from fairplace.observatory.terms.tracking import Outcome, check_outcome

    document = history["cdiscount"]
    url = reverse("terms:document", args=[document.pk])
    assert "aucun relevé par Fairplace (historique importé seulement)" in client.get(url).content.decode()
    TrackedDocument.objects.filter(pk=document.pk).update(
        last_checked_at="2024-09-02T08:30:00+00:00",
        last_check_outcome=check_outcome(Outcome(document.pk, "unchanged", verdict="not_modified")),
    )
    page = client.get(url).content.decode()
    assert "le 2 septembre 2024 à 10:30 : page inchangée (HTTP 304)" in page
