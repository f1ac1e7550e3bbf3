"""Back-office form of the contract-terms observatory: a reviewer's decision on a notice check.

The form checks what was typed; the rules themselves (a note is required for an exception, one
decision per check) live in ``reviews.review_notice``, whose French message the view adds to the form.
"""

from django import forms
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm

from .reviews import DECISIONS, NOTE_MAX_LENGTH


class ReviewNoticeForm(DsfrBaseForm):
    decision = forms.ChoiceField(
        label=gettext_lazy("Décision"), choices=list(DECISIONS.items()), widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choisissez une décision."),
                        "invalid_choice": gettext_lazy("Choisissez une décision dans la liste.")})
    note = forms.CharField(
        label=gettext_lazy("Note (publiée avec la décision)"), required=False, max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("Obligatoire pour une exception : dites laquelle s’applique et sur quelle pièce "
                               "elle repose. N’y mettez aucune donnée personnelle."),
        error_messages={"max_length": gettext_lazy("La note ne peut pas dépasser %(limit_value)d caractères.")})
