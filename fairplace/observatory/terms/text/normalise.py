"""Removal of the noise that makes two renderings of the same terms differ byte-wise.

Open Terms Archive records a version whenever the extracted Markdown bytes change; most of its
"changes" are noise: curly vs straight apostrophes (Cdiscount uses them as a watermark), non-breaking
spaces, Markdown escaping, tracking query strings in links, whitespace, page separators of documents
assembled from several pages. ``normalise`` maps all of these to one form, line structure kept, so
that the clause parser can work on its output and ``fingerprint`` can tell "same text" apart.
"""

import hashlib
import re
import unicodedata

# French guillemets « » are content (they delimit defined terms), so they stay; the English curly
# quotes, primes and low quotes are typography only.
_CHAR_MAP = {
    "\u2019": "'",
    "\u2018": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u00b4": "'",
    "`": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u201f": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u2009": " ",
    "\t": " ",
    "\f": " ",
    "\v": " ",
    # Zero-width characters and the soft hyphen: invisible, inserted by CMSs at random.
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
    "\u00ad": "",
}
# Whole-text str.replace and regular expressions that start with a literal, rather than a loop over
# lines, str.translate or "^" patterns: a 470 kB document must normalise in a few milliseconds (the
# diff of a pair has a 200 ms budget).
# A backslash before Markdown punctuation (Turndown escapes "1\." or "\*" so they stay literal).
_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~=\"'])")
# Query strings and fragments of URLs: session ids, "ref=" trackers, sign-in redirects.
_URL_TAIL = re.compile(r"(https?://[^\s?#)\]>\"']*)[?#][^\s)\]>\"']*")
_SPACES = re.compile(r" {2,}")
# "- - -" (OTA's separator between combined pages) and other thematic breaks made of - * _.
_SEPARATOR = re.compile(r"\n([-*_])(?: ?\1){2,}(?=\n)")
_BLANK_RUNS = re.compile(r"\n{3,}")


def _separator(match: re.Match) -> str:
    """A run of "-" right under a text line underlines a heading: structure, kept. "- - -" with spaces
    never is (CommonMark needs an unbroken run for a setext underline), nor a run after a blank line."""
    text, start = match.string, match.start()
    underline = match[1] == "-" and " " not in match[0] and start >= 1 and text[start - 1] != "\n"
    return match[0] if underline else "\n"


def normalise(markdown: str) -> str:
    """The text with the known noise removed: NFKC, straight quotes, one kind of dash and of space,
    no zero-width characters, no Markdown escapes, no URL query strings or fragments, no page
    separators, no leading or trailing spaces, at most one blank line in a row. Idempotent."""
    text = markdown.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    for char, replacement in _CHAR_MAP.items():
        if char in text:
            text = text.replace(char, replacement)
    text = _URL_TAIL.sub(r"\1", _ESCAPE.sub(r"\1", text))
    text = "\n".join(line.strip(" ") for line in _SPACES.sub(" ", text).split("\n"))
    text = _SEPARATOR.sub(_separator, "\n" + text + "\n")
    return _BLANK_RUNS.sub("\n\n", text).strip("\n") + "\n"


def fold(text: str) -> str:
    """Lowercase without accents (ß kept as "ss"), so that patterns can be written once (topics, definitions)."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def fingerprint(text: str) -> str:
    """SHA-256 (hex) of the normalised text: equal fingerprints mean "no change worth a version"."""
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()
