"""Who the generated sellers are and what they write: names, companies, valid SIRETs,
references in the intake's format."""

import hashlib
from dataclasses import dataclass

from ..intake import REFERENCE_ALPHABET
from ..models import CompanySize

FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Karim",
    "Léa",
    "Nathalie",
    "Olivier",
    "Sophie",
    "Thomas",
    "Yasmine",
    "Julien",
    "Aïcha",
    "Bruno",
    "Chloé",
    "Denis",
    "Élodie",
    "Farid",
    "Gaëlle",
    "Hugo",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Lefèvre",
    "Moreau",
    "Nguyen",
    "Petit",
    "Roux",
    "Traoré",
    "Garcia",
    "Fontaine",
    "Mercier",
    "Blanc",
    "Guérin",
    "Boyer",
    "Lambert",
    "Faure",
    "Rousseau",
]
SHOP_KINDS = [
    "Atelier",
    "Boutique",
    "Maison",
    "Comptoir",
    "Librairie",
    "Savonnerie",
    "Céramiques",
    "Épicerie fine",
    "Bijoux",
    "Jouets",
    "Pièces auto",
    "Mobilier",
    "Textiles",
    "Cosmétiques",
    "Électroménager",
]
SHOP_PLACES = [
    "du Port",
    "des Halles",
    "du Marché",
    "de Provence",
    "du Nord",
    "de l'Ouest",
    "Saint-Michel",
    "des Lilas",
    "du Centre",
    "de la Gare",
]
FACTS = [
    "Mon compte vendeur a été suspendu du jour au lendemain sans aucune explication.",
    "Mes offres ont été retirées du catalogue alors que mes produits sont conformes.",
    "La plateforme retient mes paiements depuis plusieurs semaines.",
    "Les commissions ont augmenté sans préavis sur ma catégorie de produits.",
    "Le service vendeurs ne répond plus à mes messages depuis un mois.",
    "Mes produits n'apparaissent plus dans les résultats de recherche.",
    "On m'accuse de contrefaçon alors que je dispose des factures du fabricant.",
    "Les conditions générales ont changé et je n'ai reçu aucune notification.",
    "Des avis clients négatifs ont été publiés sans que je puisse y répondre.",
    "La plateforme me demande des justificatifs que j'ai déjà fournis trois fois.",
    "Mon stock est bloqué dans l'entrepôt de la plateforme et je ne peux pas le récupérer.",
    "Les frais logistiques facturés ne correspondent pas au barème publié.",
]
CONSEQUENCES = [
    "Mon chiffre d'affaires a chuté de moitié.",
    "Je ne peux plus payer mes fournisseurs.",
    "J'ai dû mettre un salarié au chômage partiel.",
    "Mes clients annulent leurs commandes.",
    "Je n'ai aucun interlocuteur pour régler le problème.",
    "Je risque de fermer mon entreprise.",
]


def luhn_digit(number: str) -> str:
    """The Luhn check digit to append to ``number`` (what ``stdnum.luhn.calc_check_digit``
    gives, ten times faster: a million SIRETs are drawn; the tests compare the two)."""
    total = 0
    for position, char in enumerate(reversed(number)):
        digit = ord(char) - 48
        if position % 2 == 0:  # doubled: it will be in an odd position once the key is appended
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return str(-total % 10)


def reference_for(report_id: int, salt: int) -> str:
    """A report reference in the intake's format, unique per id: an odd multiplier is a
    bijection modulo 32**12, so two ids never share a reference."""
    n = (report_id * 0x9E3779B97F4A7C15 + salt) % (32**12)
    chars = []
    for _ in range(12):
        n, digit = divmod(n, 32)
        chars.append(REFERENCE_ALPHABET[digit])
    return f"FP-{''.join(chars[:4])}-{''.join(chars[4:8])}-{''.join(chars[8:])}"


def siret_for(seed_bytes: bytes) -> str:
    """A SIRET that python-stdnum accepts (SIREN with its Luhn key, NIC, Luhn over the 14 digits)."""
    number = int.from_bytes(seed_bytes[:8], "big")
    base = str(10**7 + number % (9 * 10**7))
    siren = base + luhn_digit(base)
    if siren == "356000000":  # La Poste's establishments follow another rule
        siren = "732829320"
    body = siren + f"{1 + (number >> 32) % 9998:04d}"
    return body + luhn_digit(body)


@dataclass
class Seller:
    contact_id: int
    email: str
    siret: str
    company_name: str
    company_size: str
    first_name: str
    last_name: str
    phone: str
    naf_code: str


SIZES = [CompanySize.MICRO] * 6 + [CompanySize.SMALL] * 2 + [CompanySize.MEDIUM, CompanySize.UNKNOWN]


def seller_for(contact_id: int, seed: int) -> Seller:
    digest = hashlib.sha256(f"{seed}:{contact_id}".encode()).digest()
    return Seller(
        contact_id=contact_id,
        email=f"vendeur.{contact_id}@{'exemple.fr' if digest[9] % 2 else 'exemple.com'}",
        siret=siret_for(digest),
        company_name=f"{SHOP_KINDS[digest[10] % len(SHOP_KINDS)]} {SHOP_PLACES[digest[11] % len(SHOP_PLACES)]}",
        company_size=str(SIZES[digest[12] % len(SIZES)]),
        first_name=FIRST_NAMES[digest[13] % len(FIRST_NAMES)],
        last_name=LAST_NAMES[digest[14] % len(LAST_NAMES)],
        phone=""
        if digest[15] % 3
        else f"06 {digest[16] % 90 + 10} {digest[17] % 90 + 10} {digest[18] % 90 + 10} {digest[19] % 90 + 10}",
        naf_code=["47.91B", "47.91A", "", "46.90Z"][digest[20] % 4],
    )
