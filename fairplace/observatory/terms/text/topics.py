"""Topic tags of a clause, from French, English and German patterns, weighed.

Alerts should say "the suspension clause changed", not "the file changed". Each topic has *strong*
patterns (phrases that are about the topic: "referral fee", "governed by the laws", "modifier les
présentes conditions") worth 2 points each time, *weak* ones (single words: "fees", "litiges",
"Haftung") worth 1 point, at most ``WEAK_REPEATS`` times per word (a payment provider named five times in
a termination clause is no payment clause), and *ignored* phrases removed before matching because they
only look like a topic ("Commission européenne", "legal fees", "frais de livraison", "Gesellschaft mit
beschränkter Haftung", "bases de données", "AliExpress Relevant Jurisdiction Users", cross-references such
as "27 (Dispute Resolution)"). Text is folded (lowercase, no accents) before matching.

A clause gets a topic when its text scores the points the topic needs:

* ``base``: 1 under ``SHORT_TEXT`` characters, else 2, plus one per ``LENGTH_STEP`` characters: a passing
  mention of "fees" in a long liability clause is not a fee clause;
* 0 when its heading names the topic — its title, or for an untitled clause a short first line such as
  TikTok's "Changes to These Terms" — and then ``2 × base + 1`` for the topics the heading does not name:
  title hits dominate (an "Indemnity" clause that mentions "legal fees" is not a fee clause);
* when its section's title names topics (and its heading none): 1 for those, 0 for a short untitled
  item of the section (kaufland.de's "19.3.3 der Händler … widerspricht;"), ``base + 1`` for the others.

"change_notice" (modification des conditions) needs the clause to be about changing the terms, the
agreement or the fees: a notice period alone ("préavis de 30 jours" before a suspension) is not one; as
changes are announced inside the clause they concern (fees changed with 14 days' notice), a heading
does not dominate it. A clause without any tag is "other".

Precision and recall are measured on hand-labelled corpus clauses
(``tests/observatory/terms/data/topic_labels.json``, ``test_topics_corpus.py``).
"""

import re
from collections import Counter

from .clauses import Clause
from .normalise import fold

# change_notice's patterns already require a change of the terms, and changes are announced inside the
# clause they concern: a heading does not dominate it.
UNDOMINATED = frozenset({"change_notice"})
SHORT_TEXT = 300  # characters: below, one weak word is enough (a one-line item says one thing)
LENGTH_STEP = 1500
MAX_NEEDED = 5
HEADING_LENGTH = 80  # a first line this short, without final punctuation, is read as a heading
SHORT_ITEM = 600  # characters: an untitled clause this short takes its section's topics
STRONG, WEAK = 2, 1
WEAK_REPEATS = 2  # a weak word counts at most this many times

# Written without accents and in lowercase: the text is folded before matching.
_STRONG = {
    "fees": r"referral fees?|selling fees?|final value fees?|subscription fees?|storage fees?|fee schedule|"
    r"prix (?:de l'abonnement|du service)|price of the (?:subscription|service)|"
    r"commission rate|montants? de la commission|grille tarifaire|frais de (?:service|fonctionnement|collecte)|"
    r"verkaufsgebuhr\w*|grundgebuhr\w*|konditionsubersicht|(?:die|eine|der|keine) provision\b|"
    r"provision pro\b",
    "payment": r"payouts?|sales proceeds|disburse\w*|remittance|self-billed|payment (?:account|services?|methods?)|"
    r"paiement des ventes|reverse(?:ment)? au vendeur|porte-monnaie|moyens? de paiement|modes? de paiement|"
    r"auszahlung\w*|zahlungsabwicklung|lastschrift\w*|restrict\w* (?:access to )?(?:your )?funds|"
    r"holds? on (?:your )?funds|reserves? on your payments?|reserve a hauteur|"
    r"(?:eine|die) rechnung uber|invoices? for (?:the )?(?:fees|services)|defaut de paiement|"
    r"retard de paiement|penalites de retard|late payments?|zahlungsverzug",
    "suspension_termination": r"suspen\w* (?:\w+ ){0,3}?(?:accounts?|comptes?|selling|listings?|access|"
    r"privileges|offres?|annonces?|benefits?)|"
    r"terminat\w* (?:this|the|your) (?:agreement|account|use|contract)|terminate these terms|"
    r"resili\w* (?:le|du|de|l'|ce) ?(?:contrat|abonnement)|resiliation|cloture\w* (?:du|de|le|les|definitivement)|"
    r"fermeture du compte|close your account|delist\w*|remove (?:a|any|your) (?:product )?listing|"
    r"deactivat\w*|desactiv\w*|sperr\w*|account (?:suspension|termination)|kundigung des vertrag\w*|"
    r"(?:fristlos|ordentlich|ausserordentlich)\w* (?:zu )?kundig\w*|vertrag\w* [^.;]{0,60}?kundigen|"
    r"restrict (?:or suspend )?your (?:listings?|accounts?|access|selling)|sanktion\w* bei|"
    r"sanctions? (?:for|en cas de)",
    "ranking": r"main parameters|principaux parametres|hauptparameter\w*|ranking|classement|"
    r"search (?:and browse )?results|resultats de recherche|suchergebnis\w*|darstellung der angebote|"
    r"placement of listings|visibility of your|sort order|referencement",
    "liability": r"limitation of liabilit\w*|limitation de responsabilite|haftungsbeschrank\w*|indemnif\w*|"
    r"indemnit(?:y|ies)|"
    r"hold \w+ harmless|force majeure|hohere gewalt|disclaim\w*|\"as is\"|no warranty|"
    r"(?:without|no) (?:any )?(?:representations? or )?warrant(?:y|ies)|"
    r"(?:not|no) (?:be )?(?:held )?(?:liable|responsible) for|shall have no liability|"
    r"ne (?:saurait|pourra) (?:en aucune (?:maniere|facon) )?(?:pas )?etre recherchee|ne saurait (?:etre )?"
    r"(?:tenue? )?(?:pour )?responsable|responsabilite de \w+ (?:ne|et)|haften nur|haftet nicht|"
    r"garanties? (?:legales?|commerciales?|contractuelles?)|vices caches|liability insurance|"
    r"garantit \w+ contre|gewahrleistung\w*|freistell\w*|stellt [^.;]{0,80}? frei|you release|"
    r"release (?:us|ebay|amazon|tiktok|alibaba\.com|rakuten) (?:\([^)]*\) )?from",
    "jurisdiction": r"governing law|governed by (?:the )?laws?|govern this (?:user )?agreement|conflicts? of laws?|"
    r"laws? of the state|(?:exclusive|personal|non-exclusive) jurisdiction|jurisdiction of (?:the )?courts?|"
    r"courts? (?:of|located)|loi applicable|droit applicable|"
    r"regie? par (?:la loi|le droit)|soumis(?:es)? (?:au droit|a la (?:loi|legislation))|"
    r"tribunal de commerce|tribunaux (?:francais|competents)|"
    r"arbitrat\w*|mediateur\w*|mediators?|mediation (?:process|procedure|services?|proceedings?|panel)|"
    r"mediationsverfahren|schlichtung\w*|in court|gerichtsstand|es gilt das recht|recht der bundesrepublik|"
    r"deutsches recht|anwendbares recht|beschwerde\w*|traitement des plaintes|complaint-handling|"
    r"resolution des litiges|dispute resolution|reglement (?:amiable )?des (?:litiges|differends)",
    "data_access": r"personal (?:data|information)|donnees (?:a caractere )?personnelles|data protection|"
    r"protection des donnees|datenschutz\w*|personenbezogen\w* daten|access to (?:the )?data|"
    r"acces aux donnees|rgpd|gdpr|dsgvo|privacy|vie privee|customer (?:personal )?data|"
    r"(?:identity|customer|buyer|user)'?s? information|coordonnees des acheteurs|data (?:use|breach\w*)|"
    r"use of (?:the )?data|processed data|transfers? of personal data",
    "change_notice": r"(?:chang|modif|amend|updat|revis)\w* (?:to |of )?(?:this|these|the|our) "
    r"(?:user |seller |merchant |selling )?(?:agreement|terms|conditions|fees|commission rate)|"
    r"(?:amendments?|changes?|modifications?) (?:to|of) (?:this|these|the) (?:user )?(?:agreement|terms)|"
    r"amended (?:and restated )?(?:agreement|terms)|amend this (?:user )?agreement|"
    r"(?:increase|reduction)s? (?:to|in|of) the fees|"
    r"modifi\w* (?:les|des|ces|aux|de ces|le prix|la grille|les tarifs) ?(?:presentes )?"
    r"(?:conditions|cgu|cgv|cga|contrat|tarifs|prix|de l'abonnement)|"
    r"modifications? des (?:presentes )?(?:conditions|cgu|cgv|cga|contrat)|nouvelles conditions|"
    r"anderung(?:en)? (?:der|dieser|von) (?:handler-)?(?:agb|bedingungen|geschaftsbedingungen|gebuhren)|"
    r"geanderten (?:handler-)?agb|neuen (?:handler-)?agb|andern (?:diese|die) (?:handler-)?(?:agb|bedingungen)|"
    r"(?:gebuhr|provision|preis|konditionen)\w*[^.;]{0,60}? (?:geandert|zu andern)|"
    r"geanderten? (?:gebuhr|provision|preis|konditionen)\w*|"
    r"modifi\w* (?:le |les |la )?(?:montants?|taux) (?:de la|des|de l') ?(?:commission|frais|abonnement)|"
    r"modifi\w* (?:la|les) (?:commissions?|grille tarifaire|tarifs (?:pro|applicables))|"
    r"(?:change|modify|amend|increase)s? (?:the |our )?(?:fees|commission rates?|pricing)|"
    r"(?:diese|die) (?:handler-)?(?:agb|geschaftsbedingungen|nutzungsbedingungen)\b[^;]{0,250}? (?:zu )?andern",
}
_WEAK = {
    "fees": r"fees?|commissions?|frais|gebuhr\w*|abonnement\w*|subscriptions?|remuneration|"
    r"verguetung|vergutung",
    "payment": r"payments?|paiements?|versements?|zahlung|zahlungen|zahlungsm\w*|zahlungsart\w*|"
    r"zahlungsdienst\w*|invoic\w*|factur\w*|rechnung\w*|gutschrift\w*|credit notes?|rembours\w*|refunds?|"
    r"funds|verkaufserlos\w*",
    "suspension_termination": r"suspen\w*|terminat\w*|resili\w*|clotur\w*|kundig\w*|gekundigt\w*|"
    r"desabonn\w*|unsubscrib\w*",
    "ranking": r"rank\w*|visibilit\w*|sichtbarkeit|reihenfolge",
    "liability": r"liabilit\w*|liable|responsabilite|haftung|haftet|haften|warrant\w*|garanti\w*",
    "jurisdiction": r"juridictions?|tribunaux|litiges?|disputes?|differends?|rechtsstreit\w*|"
    r"legislation francaise|droit francais|loi francaise|"
    r"mediat\w*",
    "data_access": r"donnees|daten|data|confidential information",
    "change_notice": r"amendments?|anderung\w*",
}
# Phrases that look like a topic and are not: removed from the folded text before matching.
_IGNORED = re.compile(
    r"\b(?:commission europeenne|european commission|commission (?:decision|implementing|nationale)|"
    r"legal fees|attorneys'? fees|arbitrat\w* fees|gesellschaft mit beschrankter haftung|"
    r"frais (?:de (?:livraison|port|retour|traitement)|d'(?:envoi|expedition))|"
    r"(?:return )?shipping (?:and handling )?(?:charges|costs|fees|labels?)|versandkosten\w*|rucksendekosten|"
    r"responsabilite elargie des producteurs|bases? de donnees|datenbank\w*|"
    r"(?:relevant )?jurisdiction[- ]specific|relevant jurisdiction users|in (?:any|all|various|each) jurisdictions?|"
    r"reihenfolge der (?:einzelnen )?massnahmen|any provisions?|(?:this|such|the|other|remaining) provisions?)\b"
)
# A cross-reference names another clause's topic: "clauses 27 (Dispute Resolution) and 28 (Governing Law)".
_REFERENCE = re.compile(r"\b\d+(?:\.\d+)* ?\([^()\n]{3,80}\)")
_HEADING_ONLY = {
    # A heading that is only "Modification(s)" or "Amendments" (after a number) is about the terms.
    "change_notice": r"(?:^|[\s.:\-])(?:modifications?|amendments?|anderungen?|changes?)\s*$",
    "data_access": r"donnees",
    # A clause titled "Réclamation" or "Complaints" is about complaint handling; in a text the word is
    # often a buyer's claim or a suspension ground ("an unreasonable number of complaints").
    "jurisdiction": r"reclamations?|complaints?|plaintes?",
}


def _compile(patterns: dict[str, str]) -> dict[str, re.Pattern]:
    return {topic: re.compile(rf"(?<!\w)(?:{pattern})(?!\w)") for topic, pattern in patterns.items()}


_STRONG_RE, _WEAK_RE, _HEADING_RE = _compile(_STRONG), _compile(_WEAK), _compile(_HEADING_ONLY)
TOPICS = (*_STRONG, "other")
_MARKS = re.compile(r"[*_#>|]+")


def _clean(text: str) -> str:
    return _IGNORED.sub(" ", _REFERENCE.sub(" ", fold(text)))


def _named(heading: str) -> set[str]:
    """The topics a heading (or a section title) names."""
    if not heading.strip():
        return set()
    named = {topic for topic in _STRONG if _STRONG_RE[topic].search(heading) or _WEAK_RE[topic].search(heading)}
    return named | {topic for topic, pattern in _HEADING_RE.items() if pattern.search(heading)}


def _score(topic: str, text: str) -> int:
    """Strong phrases count each time; weak words once each (a company's "Zahlungsdienstleister" named
    five times in a termination clause is one mention), and not where a strong phrase already counted."""
    strong = _STRONG_RE[topic].findall(text)
    rest = _STRONG_RE[topic].sub(" ", text) if strong else text
    weak = Counter(_WEAK_RE[topic].findall(rest))
    return STRONG * len(strong) + WEAK * sum(min(count, WEAK_REPEATS) for count in weak.values())


def _heading_of(title: str, text: str) -> tuple[str, str]:
    """(heading, body): the title, or for an untitled clause its first line when that line reads as one."""
    if title.strip():
        return title, text
    first, _, rest = text.strip().partition("\n")
    first = _MARKS.sub("", first).strip()
    if rest.strip() and 0 < len(first) <= HEADING_LENGTH and first[-1] not in ".;:," and not first[0].isdigit():
        return first, rest
    return "", text


def _needed(topic: str, named: set[str], section: set[str], length: int, inherits: bool) -> int:
    """The points ``topic`` needs from the text, given what the heading and the section title name."""
    base = 1 if length < SHORT_TEXT else min(MAX_NEEDED, 2 + length // LENGTH_STEP)
    if named:  # the heading says what the clause is about: the other topics must weigh more
        if topic in named:
            return 0
        return base if topic in UNDOMINATED else 2 * base + 1
    if section:
        if topic in section:
            return 0 if inherits else 1
        return base + 1
    return base


def tag_text(title: str, text: str, context: str = "") -> list[str]:
    """The topics of a clause given its title, text and section title, in ``TOPICS`` order; ["other"]
    when none (see the module docstring)."""
    heading, body = _heading_of(title, text)
    heading, body, context = _clean(heading), _clean(body), _clean(context)
    named, section = _named(heading), _named(context)
    # A short untitled item of a section (kaufland.de's "19.3.3 der Händler … widerspricht;") is about
    # what its section is about.
    inherits = not heading and len(body) < SHORT_ITEM
    tags = [topic for topic in _STRONG if _score(topic, body) >= _needed(topic, named, section, len(body), inherits)]
    return tags or ["other"]


def _section_title(clause: Clause) -> str:
    """The nearest enclosing title that is more than a number (kaufland.de's "19.3" sits in "19 Laufzeit…")."""
    return next((part for part in reversed(clause.path) if re.search(r"[^\W\d_]{3}", part)), "")


def tag_clause(clause: Clause) -> list[str]:
    return tag_text(clause.title, clause.text, _section_title(clause))
