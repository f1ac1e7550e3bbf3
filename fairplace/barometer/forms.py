from django import forms
from django.utils.translation import gettext_lazy as _

from .editions import REPLY_MAX


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Votre réponse, publiée à côté des chiffres"),
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=REPLY_MAX,
        error_messages={
            "required": _("Écrivez votre réponse avant de l'envoyer."),
            "max_length": _("Votre réponse dépasse %(limit_value)d caractères."),
        },
        help_text=_("3 000 caractères au plus. Modifiable jusqu'à la publication."),
    )


class FreezeForm(forms.Form):
    code = forms.RegexField(
        label=_("Trimestre"),
        regex=r"^\d{4}-T[1-4]$",
        help_text=_("Sous la forme 2026-T3."),
        error_messages={
            "required": _("Indiquez le trimestre à figer."),
            "invalid": _("Trimestre invalide : indiquez-le sous la forme 2026-T3."),
        },
    )
    publication_date = forms.DateField(
        label=_("Date de publication prévue"),
        required=False,
        help_text=_("Au moins 15 jours après aujourd'hui ; vide : dans 15 jours."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": _("Date invalide.")},
    )
