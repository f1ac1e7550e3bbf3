"""HTML → Markdown of the selected part of a page (extract.py), on small hand-written pages."""

import pytest

from fairplace.observatory.terms.extract import charset_of, html_to_markdown
from fairplace.observatory.terms.fetching import FetchError


def page(body: str, head: str = "") -> str:
    return f"<!doctype html><html><head><title>T</title>{head}</head><body>{body}</body></html>"


def test_headings_paragraphs_inline_markup_and_links():
    html = page(
        "<h1>Conditions  générales</h1><h3>1. Frais</h3>"
        "<p>Le vendeur paie <strong>15 %</strong> de <em>commission</em>, voir "
        "<a href='/tarifs?utm=x'>les tarifs</a>.<br>Deuxième ligne</p>"
    )
    assert html_to_markdown(html, base_url="https://exemple.test/cgv") == (
        "# Conditions générales\n\n### 1. Frais\n\n"
        "Le vendeur paie **15 %** de *commission*, voir [les tarifs](https://exemple.test/tarifs?utm=x).\n"
        "Deuxième ligne\n"
    )


def test_lists_numbered_from_start_and_nested():
    html = page("<ol start='2'><li>Premier</li><li>Second<ul><li>détail</li></ul></li></ol><ul><li>puce</li></ul>")
    assert html_to_markdown(html) == "2. Premier\n3. Second\n   - détail\n\n- puce\n"


def test_simple_pipe_table():
    html = page(
        "<table><thead><tr><th>Catégorie</th><th>Taux</th></tr></thead>"
        "<tbody><tr><td>Livres | BD</td><td>15 %</td></tr><tr><td>Jeux</td></tr></tbody></table>"
    )
    assert html_to_markdown(html) == ("| Catégorie | Taux |\n| --- | --- |\n| Livres \\| BD | 15 % |\n| Jeux |  |\n")


def test_script_style_nav_are_dropped_and_mixed_content_becomes_paragraphs():
    html = page(
        "<nav><a href='/'>Accueil</a></nav><script>var x = 1;</script><style>p {}</style>"
        "<div>Avant <span>ceci</span><p>Paragraphe</p>après</div><noscript>Activez JS</noscript>"
    )
    assert html_to_markdown(html) == "Avant ceci\n\nParagraphe\n\naprès\n"


def test_select_keeps_the_selected_parts_in_selector_order_without_repeating_nested_ones():
    html = page(
        "<header>Menu</header><div id='b'><p>B</p></div><main class='cgv'><p>A</p>"
        "<div id='inner'><p>A2</p></div></main>"
    )
    assert html_to_markdown(html, select=[".cgv", "#inner", "#b"]) == "A\n\nA2\n\nB\n"


def test_remove_takes_elements_out_before_selecting():
    html = page("<main><p>Garder</p><div class='cookie'>Cookies !</div><p class='ad'>Pub</p></main>")
    assert html_to_markdown(html, select=["main"], remove=[".cookie", "p.ad"]) == "Garder\n"


def test_missing_or_invalid_selector_is_a_selector_missing_failure():
    with pytest.raises(FetchError) as missing:
        html_to_markdown(page("<p>Texte</p>"), select=["#cgv"])
    assert missing.value.kind == "selector_missing"
    assert "#cgv" in missing.value.message
    with pytest.raises(FetchError) as invalid:
        html_to_markdown(page("<p>Texte</p>"), select=["p[["])
    assert invalid.value.kind == "selector_missing"
    with pytest.raises(FetchError) as unsupported:
        html_to_markdown(page("<p>Texte</p>"), select=[{"startBefore": "#a", "endBefore": "#b"}])
    assert unsupported.value.kind == "selector_missing"


def test_empty_result_is_an_empty_failure():
    for html in (page(""), page("<script>document.write('x')</script><div>  </div>"), ""):
        with pytest.raises(FetchError) as error:
            html_to_markdown(html)
        assert error.value.kind == "empty"


def test_bytes_are_decoded_with_the_http_charset_then_meta_then_utf8():
    latin = page("<p>Modifié</p>").encode("latin-1")
    assert html_to_markdown(latin, encoding="iso-8859-1") == "Modifié\n"
    meta = page("<p>Modifié</p>", head="<meta charset='windows-1252'>").encode("cp1252")
    assert html_to_markdown(meta) == "Modifié\n"
    assert html_to_markdown(page("<p>Modifié</p>").encode()) == "Modifié\n"
    assert charset_of("text/html; charset=ISO-8859-1") == "ISO-8859-1"
    assert charset_of("text/html") is None


def test_pre_blockquote_hr_and_anchor_links():
    html = page(
        "<blockquote><p>Cité</p></blockquote><hr><pre>  code\n  bloc</pre>"
        "<p><a href='#top'>haut</a> <a href='mailto:a@b.fr'>écrire</a></p>"
    )
    assert html_to_markdown(html) == "> Cité\n\n---\n\n```\n  code\n  bloc\n```\n\nhaut [écrire](mailto:a@b.fr)\n"
