"""The platform space's forms (/plateforme/): the list's filters, the structured answer, a message."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm

from .models import AnswerKind, NotConcernedReason, Party, PromisedAction, RejectionReason
from .states import ReportState


class ReportFilterForm(forms.Form):
    etat = forms.ChoiceField(
        label=gettext_lazy("État"),
        required=False,
        choices=[("", gettext_lazy("Tous les états"))] + list(ReportState.choices),
    )
    retard = forms.BooleanField(label=gettext_lazy("En retard seulement"), required=False)


class _CodesField(forms.MultipleChoiceField):
    """Required only for the answer kind it belongs to (checked by the form): not marked
    "optional" on the page, and never refused alone when empty."""

    widget = forms.CheckboxSelectMultiple

    def validate(self, value):
        if value:
            super().validate(value)


class AnswerForm(DsfrBaseForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Sens de votre réponse"),
        choices=AnswerKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Indiquez le sens de votre réponse.")},
    )
    actions = _CodesField(
        label=gettext_lazy("Si vous acceptez : les actions que vous vous engagez à réaliser"),
        choices=PromisedAction.choices,
        help_text=gettext_lazy("Le vendeur sera interrogé 21 jours plus tard sur leur réalisation."),
    )
    rejection_reasons = _CodesField(
        label=gettext_lazy("Si vous rejetez la demande : les motifs"), choices=RejectionReason.choices
    )
    not_concerned_reasons = _CodesField(
        label=gettext_lazy("Si vous n'êtes pas concernés : les motifs"), choices=NotConcernedReason.choices
    )
    message_for_seller = forms.CharField(
        label=gettext_lazy("Message pour le vendeur"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Transmis au vendeur tel quel. Expliquez votre décision et, le cas échéant, "
            "ce que vous allez faire et quand."
        ),
        error_messages={"required": gettext_lazy("Écrivez un message pour le vendeur.")},
    )
    message_for_administration = forms.CharField(
        label=gettext_lazy("Message pour l'administration seulement"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=gettext_lazy("Ce message n'est PAS montré au vendeur : seul l'observatoire le lit."),
    )

    CODE_FIELDS = {
        AnswerKind.ACCEPTED: "actions",
        AnswerKind.REJECTED: "rejection_reasons",
        AnswerKind.NOT_CONCERNED: "not_concerned_reasons",
    }

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind in self.CODE_FIELDS and not cleaned.get(self.CODE_FIELDS[kind]):
            missing = (
                _("Cochez au moins une action promise.")
                if kind == AnswerKind.ACCEPTED
                else _("Cochez au moins un motif.")
            )
            self.add_error(self.CODE_FIELDS[kind], missing)
        return cleaned

    def answer_payload(self) -> dict:
        """The service's arguments: only the codes of the chosen kind (boxes ticked in another
        group, visible when JavaScript is off, are ignored)."""
        data, kind = self.cleaned_data, self.cleaned_data["kind"]
        codes = list(data[self.CODE_FIELDS[kind]])
        return {
            "kind": kind,
            "actions": codes if kind == AnswerKind.ACCEPTED else [],
            "reasons": [] if kind == AnswerKind.ACCEPTED else codes,
            "message_for_seller": data["message_for_seller"],
            "message_for_administration": data["message_for_administration"],
        }


class PlatformMessageForm(DsfrBaseForm):
    recipient = forms.ChoiceField(
        label=gettext_lazy("Destinataire"),
        widget=forms.RadioSelect,
        choices=[(Party.SELLER, gettext_lazy("Le vendeur")), (Party.OBSERVATORY, gettext_lazy("L'observatoire"))],
    )
    body = forms.CharField(
        label=gettext_lazy("Votre message"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": gettext_lazy("Écrivez votre message.")},
    )
