"""Back-office forms of the contract-terms observatory: a reviewer's decision on a notice check, a seller's
notice linked to a version (or withdrawn).

The form checks what was typed; the rules themselves (a note is required for an exception, one
decision per check) live in ``reviews.review_notice``, whose French message the view adds to the form.
"""

from django import forms
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm

from fairplace.core.forms import date_field

from .reviews import DECISIONS, NOTE_MAX_LENGTH
from .seller_notices import NOTE_MAX_LENGTH as SELLER_NOTE_MAX_LENGTH


class ReviewNoticeForm(DsfrBaseForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Décision"),
        choices=list(DECISIONS.items()),
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choisissez une décision."),
            "invalid_choice": gettext_lazy("Choisissez une décision dans la liste."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Note (publiée avec la décision)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy(
            "Obligatoire pour une exception : dites laquelle s’applique et sur quelle pièce "
            "elle repose. N’y mettez aucune donnée personnelle."
        ),
        error_messages={"max_length": gettext_lazy("La note ne peut pas dépasser %(limit_value)d caractères.")},
    )


INVALID_DATE = gettext_lazy("Saisissez une date valide, par exemple 05/08/2024.")


class SellerNoticeForm(DsfrBaseForm):
    """An agent links a seller's report to a version, with the dates read on the seller's notice."""

    reference = forms.CharField(
        label=gettext_lazy("Référence du signalement"),
        max_length=20,
        error_messages={"required": gettext_lazy("Indiquez la référence du signalement.")},
    )
    notified_on = date_field(
        gettext_lazy("Date à laquelle le vendeur a été prévenu"),
        invalid=INVALID_DATE,
        required=False,
        help_text=gettext_lazy(
            "Lue sur l’avis transmis (courriel, message de l’espace vendeur). Laissez vide "
            "si le vendeur n’a reçu aucun avis."
        ),
    )
    effective_on = date_field(
        gettext_lazy("Date d’entrée en vigueur annoncée"),
        invalid=INVALID_DATE,
        required=False,
        help_text=gettext_lazy(
            "Celle que l’avis ou le vendeur indique. Elle ne sert que si le texte des conditions n’en indique pas."
        ),
    )
    attachments = forms.MultipleChoiceField(
        label=gettext_lazy("Pièces consultées"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Une pièce choisie n’appartient pas à ce signalement.")},
    )
    note = forms.CharField(
        label=gettext_lazy("Note interne"),
        required=False,
        max_length=SELLER_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Visible des agents seulement. N’y mettez pas l’identité du vendeur."),
        error_messages={"max_length": gettext_lazy("La note ne peut pas dépasser %(limit_value)d caractères.")},
    )

    def __init__(self, *args, attachments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attachments"].choices = [(item["id"], item["name"]) for item in attachments]


class WithdrawSellerNoticeForm(DsfrBaseForm):
    reason = forms.CharField(
        label=gettext_lazy("Motif du retrait"),
        max_length=SELLER_NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": gettext_lazy("Indiquez pourquoi ce rattachement est retiré."),
            "max_length": gettext_lazy("Le motif ne peut pas dépasser %(limit_value)d caractères."),
        },
    )
