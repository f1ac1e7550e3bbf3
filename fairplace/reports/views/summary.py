"""The summary shown before sending: every answer, in French, with a link to change it."""

from django.utils.translation import gettext as _

from fairplace.platforms.queries import marketplace_by_slug

from .. import intake
from ..forms import OTHER
from ..models import CompanySize, Consent
from ..questions import display_answers, to_json

CONSENT_EXPLANATIONS = {
    Consent.ANONYMOUS: _(
        "Votre signalement est transmis à la plateforme pour qu'elle réponde, sans votre nom, votre "
        "SIRET ni vos coordonnées. Selon les faits décrits, la plateforme peut tout de même vous "
        "reconnaître : relisez votre description. Il compte dans le baromètre public, toujours de façon anonyme."
    ),
    Consent.IDENTIFIED: _(
        "Votre signalement est transmis à la plateforme avec le nom de votre entreprise, votre SIRET et "
        "vos coordonnées, pour qu'elle puisse traiter votre cas individuellement. Il compte dans le "
        "baromètre public, de façon anonyme."
    ),
    Consent.BAROMETER_ONLY: _(
        "Votre signalement n'est pas transmis à la plateforme. Il est lu par l'observatoire et compte "
        "dans le baromètre public, de façon anonyme. Aucune réponse de la plateforme ne sera demandée."
    ),
    Consent.MEDIATION: _(
        "Vous demandez que votre cas soit confié au Médiateur des entreprises. Le médiateur vous contactera ; "
        "pour mener la médiation, il devra présenter votre cas et votre identité à la plateforme. "
        "Le signalement compte dans le baromètre public, de façon anonyme."
    ),
}


def draft_summary(draft) -> list[dict]:
    cleaned = intake.validate_draft(draft)
    place, company, contact = cleaned["plateforme"], cleaned["entreprise"], cleaned["contact"]
    family = cleaned["family"]
    if place["marketplace"] == OTHER:
        place_label = f"{place['other_name']} {place['other_url']}".strip()
    else:
        place_label = marketplace_by_slug(place["marketplace"]).name
    consent = cleaned["choix"]["consent"]
    return [
        {"step": "plateforme", "title": _("Place de marché"), "rows": [(_("Place de marché"), place_label)]},
        {"step": "probleme", "title": _("Problème"), "rows": [(_("Famille"), family.label)]},
        {
            "step": "details",
            "title": _("Détails"),
            "rows": display_answers(family.questions, to_json(cleaned["details"])),
        },
        {
            "step": "description",
            "title": _("Description"),
            "rows": [(_("Description"), cleaned["description"]["description"])]
            + [(_("Pièce jointe"), a.original_name) for a in draft.attachments.all()],
        },
        {
            "step": "entreprise",
            "title": _("Entreprise"),
            "rows": [
                (_("SIRET"), company["siret"]),
                (_("Nom"), company["company_name"]),
                (_("Effectif"), CompanySize(company["company_size"]).label),
                (_("Code NAF"), company["naf_code"] or _("non renseigné")),
            ],
        },
        {
            "step": "contact",
            "title": _("Coordonnées"),
            "rows": [
                (_("Nom"), f"{contact['first_name']} {contact['last_name']}"),
                (_("Courriel (confirmé)"), contact["email"]),
                (_("Téléphone"), contact["phone"] or _("non renseigné")),
            ],
        },
        {"step": "choix", "title": _("Votre choix"), "rows": [(Consent(consent).label, CONSENT_EXPLANATIONS[consent])]},
    ]
