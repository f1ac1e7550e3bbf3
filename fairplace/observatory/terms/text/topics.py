"""Topic tags of a clause, from French, English and German keyword patterns.

Alerts should say "the suspension clause changed", not "the file changed". Tags are computed on the
clause title and text with accents folded and case ignored; a hit in the title counts more than a
hit in the text, and a long clause needs several hits (a passing mention of "fees" in a liability
clause does not make it a fee clause). A clause without any tag is "other".
"""

import re
import unicodedata

from .clauses import Clause

# Patterns are written without accents: the text is folded before matching.
_PATTERNS = {
    "fees": r"fees?|commissions?|frais|tarifs?|gebuhr\w*|provision\w*|abonnement\w*|subscription|"
    r"referral fee|pricing|remuneration|verguetung|vergutung",
    "payment": r"payments?|paiements?|versements?|reversement|payout|zahlung\w*|auszahlung\w*|invoic\w*|"
    r"factur\w*|rechnung\w*|remittance|disbursement|sales proceeds",
    "suspension_termination": r"suspen\w*|terminat\w*|resiliation|resili\w*|deactivat\w*|desactiv\w*|"
    r"kundig\w*|sperr\w*|delist\w*|closure|cloture|fermeture du compte|restrict\w*",
    "ranking": r"rank\w*|classement|referencement|search results?|resultats de recherche|"
    r"ranking-?parameter\w*|reihenfolge|visibility|visibilite|sichtbarkeit",
    "liability": r"liabilit\w*|liable|responsabilite|indemnif\w*|indemnit\w*|haftung|haftet|"
    r"warrant\w*|garantie\w*|gewahrleistung",
    "jurisdiction": r"jurisdiction|juridiction|tribunaux?|courts?|gerichtsstand|governing law|"
    r"loi applicable|droit applicable|anwendbares recht|mediat\w*|mediation|schlichtung",
    "data_access": r"personal data|donnees? personnelles?|data protection|protection des donnees|"
    r"datenschutz|access to data|acces aux donnees|confidential\w*|rgpd|gdpr|dsgvo|"
    r"donnees|daten\b",
    "change_notice": r"modif\w* (?:of |to |des |de )?(?:this |these |the |ces |les |des )?"
    r"(?:agreement|terms|conditions|cgu|cgv|contrat)|amend\w*|notice period|preavis|"
    r"advance notice|changes? to (?:this|these|the) (?:agreement|terms)|anderung\w*|"
    r"modification|15 (?:days|jours|tage)",
}
_COMPILED = {topic: re.compile(rf"\b(?:{pattern})\b") for topic, pattern in _PATTERNS.items()}
TOPICS = (*_PATTERNS, "other")
SHORT_CLAUSE = 600  # characters: below, one hit in the text is enough


def fold(text: str) -> str:
    """Lowercase without accents (ß kept as "ss"), so that patterns can be written once."""
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def tag_text(title: str, text: str) -> list[str]:
    """The topics of a clause given its title and text, in ``TOPICS`` order; ["other"] when none."""
    folded_title, folded_text = fold(title), fold(text)
    needed = 1 if len(folded_text) < SHORT_CLAUSE else 2
    tags = [
        topic
        for topic, pattern in _COMPILED.items()
        if pattern.search(folded_title) or len(pattern.findall(folded_text)) >= needed
    ]
    return tags or ["other"]


def tag_clause(clause: Clause) -> list[str]:
    return tag_text(" ".join((*clause.path[-1:], clause.title)), clause.text)
