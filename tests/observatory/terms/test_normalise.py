"""Normalisation: known noise disappears, content stays."""

from fairplace.observatory.terms.text.normalise import fingerprint, normalise


def test_typographic_quotes_and_spaces_are_noise():
    assert normalise("l\u2019article \u201cA\u201d\u00a0: x\u202fy") == normalise('l\'article "A" : x y')
    assert fingerprint("Il l\u2019a dit") == fingerprint("Il l'a dit")


def test_french_guillemets_are_kept():
    assert "« Service »" in normalise("le «\u00a0Service\u00a0»")


def test_dashes_zero_width_and_nfkc():
    assert normalise("a \u2013 b \u2014 c\u200b\u00ad") == "a - b - c\n"
    assert normalise("e\u0301\ufb01") == "\u00e9fi\n"


def test_whitespace_and_blank_lines():
    assert normalise("  a   b  \n\n\n\n\tc  \n\n") == "a b\n\nc\n"


def test_markdown_escapes():
    assert normalise(r"**1\. Enrolment** \* x\_y") == "**1. Enrolment** * x_y\n"


def test_link_query_strings_and_fragments_dropped_path_kept():
    text = "[Help](https://sellercentral.amazon.fr/help/201190440?locale=en-US&ref=x#top) and https://a.fr/p?q=1"
    assert normalise(text) == "[Help](https://sellercentral.amazon.fr/help/201190440) and https://a.fr/p\n"


def test_page_separators_removed_but_setext_underlines_kept():
    text = "Page one\n\n- - -\n\nTitle\n-----\n\nbody\n\n---\n\nend"
    assert normalise(text) == "Page one\n\nTitle\n-----\n\nbody\n\nend\n"


def test_idempotent_and_crlf():
    text = "A\u2019b\r\n\r\n\r\n- - -\r\nc  "
    assert normalise(normalise(text)) == normalise(text) == "A'b\n\nc\n"


def test_fingerprint_distinguishes_content():
    assert fingerprint("15 jours") != fingerprint("30 jours")
