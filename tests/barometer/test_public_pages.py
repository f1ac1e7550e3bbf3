"""The public barometer pages (FR and EN): what they show of a published edition, what they
never show (preview editions, suppressed counts, unpublished replies), the comparison form, the
charts against their tables, the page cache and the number of queries."""

import re
from datetime import UTC, date, datetime
from html.parser import HTMLParser

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from fairplace.barometer import display, published
from fairplace.barometer.charters import load_charters
from fairplace.barometer.indicators import all_indicators
from fairplace.barometer.models import Edition, EditionFigure, PlatformReply
from fairplace.platforms.models import Marketplace

QUARTERS = {"1": ("01-01", "03-31"), "2": ("04-01", "06-30"), "3": ("07-01", "09-30"), "4": ("10-01", "12-31")}


# --- Factory --------------------------------------------------------------------------------


def make_edition(code: str, status: str = "published") -> Edition:
    year, quarter = code[:4], code[-1]
    start, end = QUARTERS[quarter]
    return Edition.objects.create(
        code=code,
        period_start=date.fromisoformat(f"{year}-{start}"),
        period_end=date.fromisoformat(f"{year}-{end}"),
        status=status,
        frozen_at=timezone.now(),
        publication_date=date.fromisoformat(f"{year}-{end}"),
        published_at=datetime(int(year), 12, 31, 12, tzinfo=UTC) if status == "published" else None,
        methodology_version="test",
        settings_snapshot={"MIN_SAMPLE_RANK": 30},
    )


def figure(edition, slug, indicator, breakdown="", **fields) -> EditionFigure:
    fields.setdefault("status", "ok")
    return EditionFigure.objects.create(
        edition=edition,
        marketplace=Marketplace.objects.get(slug=slug),
        indicator=indicator,
        breakdown=breakdown,
        **fields,
    )


def rate(k, n, low, high, **extra) -> dict:
    return {"n": n, "k": k, "value": k / n, "ci_low": low, "ci_high": high, **extra}


def full_edition(code="2026-T2", status="published") -> Edition:
    """Figures of every status for Cdiscount, ManoMano and Amazon. Some suppressed figures carry
    a forbidden count (n = 3) as a trap: a page must never print it."""
    edition = make_edition(code, status)
    # Cdiscount: published figures, ranks and trends.
    figure(edition, "cdiscount", "reports_received", n=420, value=420)
    figure(
        edition,
        "cdiscount",
        "reports_per_1000_sellers",
        n=420,
        value=3.2,
        extra={"sellers": 131250, "source": "Rapport annuel 2025", "source_url": "https://exemple.fr"},
    )
    figure(
        edition, "cdiscount", "answered_in_time", rank=1, ranked_count=3, trend="up", **rate(150, 200, 0.6861, 0.8044)
    )
    figure(
        edition,
        "cdiscount",
        "time_to_answer",
        n=150,
        value=4.5,
        p90=12.0,
        ci_low=3.5,
        ci_high=5.5,
        rank=1,
        ranked_count=2,
        trend="down",
        extra={"awaiting": 12, "awaiting_status": "ok", "awaiting_overdue": None, "awaiting_overdue_status": "below_5"},
    )
    figure(edition, "cdiscount", "answer_satisfactory", trend="stable", **rate(57, 132, 0.3521, 0.5178))
    figure(edition, "cdiscount", "action_confirmed", status="insufficient", n=7)
    figure(edition, "cdiscount", "mediation_referrals", status="below_5", n=3)  # trap: n must stay unprinted
    figure(edition, "cdiscount", "mediation_agreement", status="none", n=0)
    figure(edition, "cdiscount", "statement_of_reasons_in_time", status="below_5", n=42)
    figure(edition, "cdiscount", "termination_notice_30d", status="none", n=0)
    figure(edition, "cdiscount", "family_share", "DEREF", **rate(180, 420, 0.3824, 0.4767))
    figure(edition, "cdiscount", "family_share", "SUSP", **rate(120, 420, 0.2441, 0.3306))
    figure(edition, "cdiscount", "family_share", "KYB", status="below_5", n=420)
    figure(edition, "cdiscount", "family_share", "FUNDS", status="below_5", n=420)
    # ManoMano: tied rank, other statuses.
    figure(edition, "manomano", "reports_received", n=95, value=95)
    figure(edition, "manomano", "reports_per_1000_sellers", status="unknown")
    figure(edition, "manomano", "answered_in_time", rank=1, ranked_count=3, **rate(31, 45, 0.5423, 0.8085))
    figure(
        edition,
        "manomano",
        "time_to_answer",
        status="insufficient",
        n=8,
        extra={
            "awaiting": None,
            "awaiting_status": "below_5",
            "awaiting_overdue": None,
            "awaiting_overdue_status": "none",
        },
    )
    figure(edition, "manomano", "answer_satisfactory", status="below_5", n=12)
    figure(edition, "manomano", "family_share", "FEES", **rate(60, 95, 0.5315, 0.7210))
    figure(edition, "manomano", "family_share", "DEREF", status="below_5", n=95)
    # Amazon: almost nothing.
    figure(edition, "amazon", "reports_received", status="below_5", n=4)  # trap
    figure(edition, "amazon", "answered_in_time", rank=3, ranked_count=3, **rate(10, 40, 0.1419, 0.3966))
    return edition


# --- A small HTML reader (the standard library's parser) -------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class Node:
    def __init__(self, tag, attrs, parent=None):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self) -> str:
        parts = [child if isinstance(child, str) else child.text() for child in self.children]
        return re.sub(r"\s+", " ", "".join(parts).replace("\xa0", " ").replace("\u202f", " ")).strip()

    def find_all(self, tag=None, **attrs):
        for child in self.children:
            if isinstance(child, Node):
                if (tag is None or child.tag == tag) and all(
                    value in (child.attrs.get(name.rstrip("_")) or "").split()
                    if name == "class_"
                    else child.attrs.get(name) == value
                    for name, value in attrs.items()
                ):
                    yield child
                yield from child.find_all(tag, **attrs)

    def find(self, tag=None, **attrs):
        return next(self.find_all(tag, **attrs), None)


class Reader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.root = self.current = Node("root", {})

    def handle_starttag(self, tag, attrs):
        node = Node(tag, attrs, self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.current.children.append(Node(tag, attrs, self.current))

    def handle_endtag(self, tag):
        node = self.current
        while node is not self.root and node.tag != tag:
            node = node.parent
        if node is not self.root:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


def parse(response) -> Node:
    reader = Reader()
    reader.feed(response.content.decode())
    return reader.root


def chart_numbers(svg: Node) -> list[tuple[str, str]]:
    return [
        (row.find("text", class_="fp-chart__label").text(), row.find("text", class_="fp-chart__value").text())
        for row in svg.find_all("g", class_="fp-chart__row")
    ]


def table_numbers(table: Node) -> list[tuple[str, str]]:
    rows = []
    for row in table.find("tbody").find_all("tr"):
        cell = row.find("td", class_="fp-cell-value")
        trend = cell.find("span", class_="fp-trend")
        value = cell.text().removesuffix(trend.text()).strip() if trend else cell.text()
        rows.append((row.find("th").text(), value))
    return rows


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _empty_cache(db):
    """The database cache table outlives a flush, and each process remembers pages: start and
    end empty."""
    cache.clear()
    published.forget_local()
    yield
    cache.clear()
    published.forget_local()


@pytest.fixture
def edition(reference_data):
    load_charters()
    return full_edition()


PAGES = [
    ("barometer:compare", {}),
    ("barometer:marketplace", {"slug": "cdiscount"}),
    ("barometer:marketplace", {"slug": "amazon"}),
    ("barometer:methodology", {}),
    ("barometer:charters", {}),
    ("barometer:editions", {}),
    ("barometer:edition", {"code": "2026-T2"}),
]


def url(name, lang="fr", **kwargs) -> str:
    from django.utils import translation

    with translation.override(lang):
        return reverse(name, kwargs=kwargs)


# --- Every page, both languages -------------------------------------------------------------


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_every_page_answers_in_french_and_english(client, edition, name, kwargs):
    french = client.get(url(name, "fr", **kwargs))
    english = client.get(url(name, "en", **kwargs))
    assert french.status_code == english.status_code == 200
    assert '<html lang="fr"' in french.content.decode()
    assert '<html lang="en"' in english.content.decode()
    assert url(name, "en", **kwargs).startswith("/en/barometre/")
    # The layout is English too: header, skip links, footer.
    english_text = english.content.decode()
    for words in ("Quick access", "Report a problem", "Barometer", "Source code under the EUPL-1.2 licence"):
        assert words in english_text, words
    assert "Signaler un problème" not in english_text
    # The language switch leads to the same page in the other language.
    switch = parse(english).find_all("a", class_="fr-translate__language")
    links = {a.attrs["hreflang"]: a.attrs["href"] for a in switch}
    assert links == {"fr": url(name, "fr", **kwargs), "en": url(name, "en", **kwargs)}


def test_english_comparison_page_is_in_english(client, edition):
    text = client.get("/en/barometre/").content.decode()
    assert "Choose your marketplace" in text
    assert "Answers within the deadline" in text  # indicator label from the registry
    assert "fewer than 5" in text and "moins de 5" not in text
    assert "75.0%" in text and "[68.6% – 80.4%]" in text
    assert "Choisir sa place de marché" not in text


def test_other_pages_keep_french_and_no_language_switch(client, reference_data):
    response = client.get(reverse("home"))
    text = response.content.decode()
    assert '<html lang="fr"' in text
    assert "fr-translate" not in text
    assert f'href="{reverse("barometer:compare")}"' in text  # the nav link to the barometer


def test_unknown_marketplace_or_edition_is_404(client, edition):
    assert client.get(url("barometer:marketplace", slug="nulle-part")).status_code == 404
    assert client.get(url("barometer:marketplace", "en", slug="nulle-part")).status_code == 404
    assert client.get(url("barometer:edition", code="2019-T1")).status_code == 404


def test_no_published_edition_yet(client, reference_data):
    make_edition("2026-T2", status="preview")
    response = client.get(url("barometer:compare"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "Aucune édition du baromètre n'a encore été publiée." in text
    assert "2026-T2" not in text
    english = client.get(url("barometer:compare", "en")).content.decode()
    assert "No edition of the barometer has been published yet." in english
    page = client.get(url("barometer:marketplace", slug="cdiscount"))
    assert page.status_code == 200
    assert "Aucune édition du baromètre n'a encore été publiée." in page.content.decode()


# --- What is never public ---------------------------------------------------------------------


def test_preview_editions_are_not_public(client, edition):
    preview = make_edition("2026-T3", status="preview")
    figure(preview, "cdiscount", "answered_in_time", **rate(199, 200, 0.97, 0.999))
    withdrawn = make_edition("2026-T1", status="withdrawn")
    figure(withdrawn, "cdiscount", "answered_in_time", **rate(3, 200, 0.005, 0.04))
    for page in (url("barometer:compare"), url("barometer:marketplace", slug="cdiscount"), url("barometer:editions")):
        text = client.get(page).content.decode()
        assert "2026-T3" not in text and "2026-T1" not in text, page
        assert "99,5" not in text and "1,5 %" not in text, page
    assert client.get(url("barometer:edition", code="2026-T3")).status_code == 404
    assert client.get(url("barometer:edition", code="2026-T1")).status_code == 404


def test_reply_is_shown_escaped_and_only_for_a_published_edition(client, edition, personas):
    preview = make_edition("2026-T3", status="preview")
    author = personas["platform_a"]
    cdiscount = Marketplace.objects.get(slug="cdiscount")
    PlatformReply.objects.create(edition=preview, marketplace=cdiscount, author=author, text="Réponse en relecture")
    page = url("barometer:marketplace", slug="cdiscount")
    text = client.get(page).content.decode()
    assert "Réponse en relecture" not in text
    assert "n'a pas publié de réponse à cette édition" in text

    PlatformReply.objects.create(
        edition=edition,
        marketplace=cdiscount,
        author=author,
        text="Nous contestons <script>alert(1)</script> ces chiffres.\n\nDeuxième paragraphe.",
    )
    published.bump_generation()
    document = parse(client.get(page))
    reply = document.find("aside", id="reponse")
    assert "Nous contestons <script>alert(1)</script> ces chiffres." in reply.text()  # shown as text…
    assert reply.find("script") is None  # …never as markup
    assert "publié tel quel" in reply.text()
    assert len(list(reply.find("blockquote").find_all("p"))) == 2
    # The comparison points to it.
    compare = client.get(url("barometer:compare") + "?comparer=cdiscount&comparer=manomano").content.decode()
    assert "Lire la réponse de Cdiscount" in compare
    assert "Lire la réponse de ManoMano" not in compare


# --- Suppression -----------------------------------------------------------------------------

SMALL_COUNT = re.compile(r"(?<![\d,.])[1-4](?![\d,.])")


def test_no_page_prints_a_count_from_1_to_4(client, edition):
    pages = [
        url("barometer:compare") + "?comparer=cdiscount&comparer=manomano&comparer=amazon",
        url("barometer:marketplace", slug="cdiscount"),
        url("barometer:marketplace", slug="manomano"),
        url("barometer:marketplace", slug="amazon"),
    ]
    below_5_cells = 0
    for page in pages:
        response = client.get(page)
        text = response.content.decode()
        assert "moins de 5" in text
        document = parse(response)
        for cell in document.find_all():
            if cell.tag in ("td", "tr", "g") and cell.attrs.get("data-status") == "below_5":
                below_5_cells += 1
                if cell.tag == "tr":  # the figure's cells, not the row's label (an edition code)
                    words = " ".join(td.text() for td in cell.find_all("td"))
                elif cell.tag == "g":
                    words = cell.find("text", class_="fp-chart__value").text()
                else:
                    words = cell.text()
                assert "moins de 5" in words, (page, words)
                assert not SMALL_COUNT.search(words.replace("moins de 5", "")), (page, words)
        for cell in document.find_all("td"):
            assert not re.fullmatch(r"[1-4]", cell.text()), (page, cell.text())
        # The traps: the forbidden counts stored by mistake are never printed.
        mediation = document.find("tr", **{"data-indicator": "mediation_referrals"})
        if mediation is not None:
            assert "3" not in mediation.text()
    assert below_5_cells >= 10
    amazon = parse(client.get(url("barometer:compare")))
    received = amazon.find("tr", **{"data-marketplace": "amazon"}).find("td", **{"data-status": "below_5"})
    assert received.text() == "moins de 5"


def test_statuses_read_as_words(client, edition):
    text = parse(client.get(url("barometer:marketplace", slug="cdiscount"))).text()
    assert "aucun cas" in text
    assert "échantillon insuffisant (n = 7)" in text
    assert "moins de 5 cas sur 42" in text
    assert "75,0 % ↑" in text
    assert "[68,6 % – 80,4 %]" in text
    assert "4,5 jours" in text and "9 réponses sur 10 en 12 jours au plus" in text
    assert "Encore sans réponse : 12, dont moins de 5 hors délai" in text
    assert "Rang : 1er ex aequo sur 3" in text  # answered in time, shared with ManoMano
    assert "Rang : 1er sur 2" in text  # time to answer
    manomano = parse(client.get(url("barometer:marketplace", slug="manomano"))).text()
    assert "non disponible" in manomano
    assert "Rang : 1er ex aequo sur 3" in manomano
    amazon = parse(client.get(url("barometer:marketplace", slug="amazon"))).text()
    assert "Rang : 3e sur 3" in amazon
    assert "Encore sans réponse : moins de 5, dont aucun cas hors délai" in manomano


def test_display_never_makes_a_number_of_a_null_field():
    indicators = {indicator.code: indicator for indicator in all_indicators()}
    for code, indicator in indicators.items():
        for status in ("none", "below_5", "insufficient", "unknown"):
            empty = EditionFigure(indicator=code, status=status)
            shown = display.show(empty, indicator, lang="fr")
            assert shown.value is None and shown.low is None and not shown.interval, (code, status)
            assert not re.search(r"\d", shown.text.replace("moins de 5", "")), (code, status, shown.text)
        ok_but_null = display.show(EditionFigure(indicator=code, status="ok"), indicator, lang="fr")
        assert ok_but_null.value is None and not re.search(r"\d", ok_but_null.text), code
    assert display.percent(0.432) == "43,2\xa0%"
    assert display.percent(0.432, "en") == "43.2%"
    assert display.interval(0.381, 0.484) == "[38,1\xa0% – 48,4\xa0%]"
    assert display.rank_text(2, 8, tied=True, lang="fr") == "2e ex aequo sur 8"
    assert display.rank_text(1, None, lang="fr") == "1er"
    assert display.rank_text(2, 8, tied=True, lang="en") == "joint 2nd of 8"
    assert display.days(1, "fr") == "1\xa0jour" and display.days(12.25, "fr") == "12,2\xa0jours"
    assert display.integer(131250, "fr") == "131\u202f250"


# --- Charts and their tables ------------------------------------------------------------------


def test_each_chart_has_a_name_and_the_same_numbers_as_its_table(client, edition):
    pages = [
        url("barometer:compare") + "?comparer=cdiscount&comparer=manomano",
        url("barometer:marketplace", slug="cdiscount"),
        url("barometer:compare", "en"),
    ]
    checked = 0
    for page in pages:
        document = parse(client.get(page))
        for svg in document.find_all("svg", class_="fp-chart"):
            chart_id = svg.attrs["id"]
            assert svg.attrs["role"] == "img"
            title, desc = svg.find("title"), svg.find("desc")
            assert svg.attrs["aria-labelledby"] == f"{title.attrs['id']} {desc.attrs['id']}"
            assert title.text() and desc.text()
            table = document.find("table", id=f"{chart_id}-tableau")
            assert table is not None and table.find("caption").text()
            assert all(th.attrs.get("scope") == "col" for th in table.find("thead").find_all("th"))
            assert chart_numbers(svg) == table_numbers(table), chart_id
            checked += 1
    assert checked >= 8


def test_chart_bar_and_whisker_match_the_figure(client, edition):
    document = parse(client.get(url("barometer:compare")))
    svg = document.find("svg", id="graphique-ensemble")
    rows = {row.find("text", class_="fp-chart__label").text(): row for row in svg.find_all("g", class_="fp-chart__row")}
    cdiscount = rows["Cdiscount"]
    assert cdiscount.find("rect").attrs["data-value"] == "75"
    whisker = cdiscount.find("g", class_="fp-chart__interval")
    assert (whisker.attrs["data-low"], whisker.attrs["data-high"]) == ("68.6", "80.4")
    assert float(cdiscount.find("rect").attrs["width"]) == pytest.approx(0.75 * 300, abs=0.1)
    assert set(rows) == {"Amazon", "Cdiscount", "ManoMano"}  # the marketplaces with a figure
    compared = parse(client.get(url("barometer:compare"), {"comparer": ["cdiscount", "manomano"]}))
    svg = compared.find("svg", id="comparaison-answer_satisfactory")
    manomano = [
        row
        for row in svg.find_all("g", class_="fp-chart__row")
        if row.find("text", class_="fp-chart__label").text() == "ManoMano"
    ][0]
    assert manomano.find("rect") is None  # suppressed: words, no bar
    assert manomano.find("text", class_="fp-chart__value").text() == "moins de 5 cas sur 12"


# --- The comparison -----------------------------------------------------------------------------


def test_compare_two_marketplaces_side_by_side(client, edition):
    response = client.get(url("barometer:compare"), {"comparer": ["manomano", "cdiscount"]})
    document = parse(response)
    table = document.find("table", id="tableau-comparaison")
    assert [th.text() for th in table.find("thead").find_all("th")] == ["Indicateur", "Cdiscount", "ManoMano"]
    answered = table.find("tr", **{"data-indicator": "answered_in_time"})
    cells = [td.text() for td in answered.find_all("td")]
    assert cells[0].startswith("75,0 %") and "1er ex aequo sur 3" in cells[0]
    assert cells[1].startswith("68,9 %")
    boxes = {box.attrs["value"]: "checked" in box.attrs for box in document.find_all("input", type="checkbox")}
    assert boxes["cdiscount"] and boxes["manomano"] and not boxes["amazon"]
    assert len(boxes) == Marketplace.objects.filter(is_active=True).count()
    assert document.find("form").attrs["method"] == "get"
    assert document.find("table", id="tableau-familles-comparaison") is not None


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        (["cdiscount"], "Choisissez au moins deux places de marché à comparer."),
        (["cdiscount", "manomano", "amazon", "ebay", "fnac"], "Choisissez au plus quatre places de marché à comparer."),
        (["cdiscount", "nulle-part"], "Une des places de marché choisies n'existe pas"),
    ],
)
def test_compare_refuses_a_bad_selection(client, edition, chosen, message):
    response = client.get(url("barometer:compare"), {"comparer": chosen})
    assert response.status_code == 200
    document = parse(response)
    assert message in document.find("div", id="choix-places-messages").text()
    assert "fr-fieldset--error" in document.find("fieldset").attrs["class"]
    assert document.find("table", id="tableau-comparaison") is None
    assert document.find("table", id="tableau-ensemble") is not None


def test_compare_page_links_downloads_and_methodology(client, edition):
    text = client.get(url("barometer:compare")).content.decode()
    for fmt in ("csv", "json", "parquet"):
        assert reverse("barometer:edition_data", kwargs={"code": "2026-T2", "fmt": fmt}) in text
    assert reverse("barometer:edition_pdf", kwargs={"code": "2026-T2"}) in text
    assert reverse("barometer:methodology") in text


# --- Marketplace page -----------------------------------------------------------------------------


def test_marketplace_page_series_families_and_commitments(client, edition):
    older = make_edition("2026-T1")
    figure(older, "cdiscount", "answered_in_time", **rate(100, 200, 0.4314, 0.5686))
    document = parse(client.get(url("barometer:marketplace", slug="cdiscount")))
    series = document.find("table", id="serie-answered_in_time-tableau")
    assert table_numbers(series) == [("2026-T1", "50,0 %"), ("2026-T2", "75,0 %")]
    families = document.find("table", id="graphique-familles-tableau")
    names = [name for name, _value in table_numbers(families)]
    assert names[:2] == ["Offres retirées ou bloquées", "Compte vendeur suspendu ou fermé"]
    assert "Fonds bloqués par la plateforme" in names
    text = document.text()
    assert "Chartes et engagements" in text
    charters = document.find("section", **{"aria-labelledby": "chartes-titre"})
    for item in charters.find_all("ul", class_="fp-commitments"):
        for commitment in item.children:
            if getattr(commitment, "tag", None) == "li":  # evidence, or the words saying there is none
                assert commitment.find("a") or "pas encore d'indicateur" in commitment.text()
    evidence = [a.attrs["href"] for a in document.find_all("a") if a.attrs.get("href", "").startswith("#indicateur-")]
    assert "#indicateur-answered_in_time" in evidence


def test_methodology_states_the_rules_from_settings(client, reference_data, settings):
    settings.FAIRPLACE_BAROMETER = {
        **settings.FAIRPLACE_BAROMETER,
        "MIN_SAMPLE_RANK": 37,
        "MIN_SAMPLE_PUBLISH": 13,
        "PREVIEW_DAYS": 21,
    }
    text = parse(client.get(url("barometer:methodology"))).text()
    assert "qu'à partir de 37 cas" in text
    assert "au moins 13 cas" in text
    assert "entre 1 et 4 n'est jamais publié : il apparaît comme « moins de 5 »" in text
    assert "21 jours avant leur publication" in text
    assert "Wilson" in text and "médiane" in text and "90e centile" in text
    for indicator in all_indicators():
        assert indicator.label in text and indicator.formula in text
    english = parse(client.get(url("barometer:methodology", "en"))).text()
    assert "Methodology" in english and "from 37 cases" in english
    assert all(indicator.label_en in english for indicator in all_indicators())


def test_charters_page_lists_signatories_and_commitments(client, edition):
    document = parse(client.get(url("barometer:charters")))
    text = document.text()
    assert "Amazon" in text and "Cdiscount" in text
    assert "Signataire" in text
    statuses = document.find("table", id="tableau-statuts")
    assert len(list(statuses.find("tbody").find_all("tr"))) == Marketplace.objects.filter(is_active=True).count()


def test_editions_page_lists_published_editions_only(client, edition):
    make_edition("2026-T3", status="preview")
    document = parse(client.get(url("barometer:editions")))
    rows = list(document.find("table", id="tableau-editions").find("tbody").find_all("tr"))
    assert [row.find("th").text() for row in rows] == ["2e trimestre 2026"]
    links = {a.attrs.get("href") for a in rows[0].find_all("a")}
    assert reverse("barometer:edition_data", kwargs={"code": "2026-T2", "fmt": "csv"}) in links
    assert reverse("barometer:edition_pdf", kwargs={"code": "2026-T2"}) in links


# --- Cache and queries ------------------------------------------------------------------------------


def test_cached_page_changes_after_bump_generation(client, edition):
    page = url("barometer:compare")
    assert "75,0 %" in parse(client.get(page)).text()
    EditionFigure.objects.filter(edition=edition, indicator="answered_in_time", marketplace__slug="cdiscount").update(
        k=160, value=0.8
    )
    assert "75,0 %" in parse(client.get(page)).text()  # served from the cache
    published.bump_generation()
    text = parse(client.get(page)).text()
    assert "80,0 %" in text and "75,0 %" not in text


def test_cached_page_is_one_query_and_signed_in_users_get_their_own_header(client, edition, personas):
    page = url("barometer:compare") + "?comparer=cdiscount&comparer=manomano"
    client.get(page)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    assert len(queries) <= 1
    from tests.conftest import login_as

    other = type(client)()
    login_as(other, personas, "platform_a")
    assert "rep@cdiscount.test" in other.get(page).content.decode()
    assert "rep@cdiscount.test" not in client.get(page).content.decode()


def test_page_queries_do_not_grow_with_the_data(client, reference_data, django_assert_max_num_queries):
    load_charters()
    small = make_edition("2026-T1")
    figure(small, "cdiscount", "answered_in_time", **rate(150, 200, 0.6861, 0.8044))
    pages = [
        url("barometer:compare") + "?comparer=cdiscount&comparer=manomano",
        url("barometer:marketplace", slug="cdiscount"),
    ]
    counts = {}
    cache.clear()
    published.forget_local()  # both passes start from the same cold caches
    for page in pages:
        with CaptureQueriesContext(connection) as queries:
            client.get(page)
        counts[page] = len(queries)
    edition = full_edition("2026-T2")
    for slug in ("manomano", "cdiscount"):
        PlatformReply.objects.create(
            edition=edition,
            marketplace=Marketplace.objects.get(slug=slug),
            author=get_user_model().objects.create_user(
                email=f"rep@{slug}.example", password="x" * 20, role="platform"
            ),
            text="Réponse",
        )
    cache.clear()
    published.forget_local()
    for page in pages:
        with django_assert_max_num_queries(counts[page]):
            response = client.get(page)
        assert "2026-T2" in response.content.decode()
    assert counts[pages[0]] <= 20


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_cached_page_costs_no_query(client, reference_data):
    load_charters()
    edition = full_edition()
    page = url("barometer:marketplace", slug="cdiscount")
    assert "75,0 %" in parse(client.get(page)).text()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    assert len(queries) == 0  # the page and the generation are remembered by the process
    EditionFigure.objects.filter(edition=edition, indicator="answered_in_time", marketplace__slug="cdiscount").update(
        k=160, value=0.8
    )
    published.bump_generation()  # what publish_edition and the reply form call
    assert "80,0 %" in parse(client.get(page)).text()


def test_pages_come_gzip_compressed_to_browsers_that_accept_it(client, reference_data):
    import gzip

    load_charters()
    full_edition()
    page = url("barometer:marketplace", slug="cdiscount")
    plain = client.get(page)
    compressed = client.get(page, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert compressed["Content-Encoding"] == "gzip" and "Accept-Encoding" in compressed["Vary"]
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 4
    assert "Content-Encoding" not in plain and "Accept-Encoding" in plain["Vary"]
