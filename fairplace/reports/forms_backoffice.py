"""Forms of the agents' case page. Each one checks, with a French message, what one service
needs; the service's (or the workflow guard's) own French refusal is added as a form error
by the view, so the agent keeps what they typed."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm

from fairplace.core.models import OBSERVATORY_ROLES, Role
from fairplace.platforms.queries import active_marketplaces

from .access import get_report_for_user
from .models import AnswerKind, NotConcernedReason, Party, PromisedAction, RejectionReason, active_families
from .states import MEDIATION_OUTCOMES, Outcome, ReportState
from .workflow import TRANSITIONS, Transition

MAX_TEXT = 5000


def _reference(value: str) -> str:
    return value.strip().upper()


def _text_field(label, *, required=True, required_message=None, rows=4, help_text=""):
    messages = {"max_length": gettext_lazy("Ce texte est trop long (%(limit_value)d caractères au plus).")}
    if required_message:
        messages["required"] = required_message
    return forms.CharField(
        label=label,
        required=required,
        max_length=MAX_TEXT,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=messages,
    )


class TransitionChoiceForm(DsfrBaseForm):
    """Which workflow action the agent asked for (the ``transition`` field of every action form)."""

    transition = forms.CharField(label=gettext_lazy("Action"), required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("transition") not in TRANSITIONS:
            raise ValidationError(_("Action inconnue."))
        return cleaned


class PayloadForm(DsfrBaseForm):
    """The fields one transition's payload needs; prefixed by the transition's name so that
    every action form of the page has its own field ids."""

    def __init__(self, *args, report, transition: Transition, **kwargs):
        kwargs.setdefault("prefix", transition.name)
        super().__init__(*args, **kwargs)
        self.report, self.transition = report, transition

    def payload(self) -> dict:
        return dict(self.cleaned_data)


class ReasonForm(PayloadForm):
    reason = _text_field(gettext_lazy("Motif"), required_message=gettext_lazy("Indiquez le motif."), rows=3)


# Labels are class-level: DSFR forms build their bound fields (and copy the labels) in __init__.
class NotAdmissibleForm(ReasonForm):
    reason = _text_field(
        gettext_lazy("Motif de non-recevabilité"), required_message=gettext_lazy("Indiquez le motif."), rows=3
    )


class WithdrawForm(ReasonForm):
    reason = _text_field(
        gettext_lazy("Motif du retrait"),
        required_message=gettext_lazy("Indiquez le motif."),
        rows=3,
        help_text=gettext_lazy("La demande du vendeur, et comment elle a été reçue."),
    )


class ReopenForm(ReasonForm):
    reason = _text_field(
        gettext_lazy("Motif de la réouverture"), required_message=gettext_lazy("Indiquez le motif."), rows=3
    )


class DuplicateForm(PayloadForm):
    duplicate_of = forms.CharField(
        label=gettext_lazy("Référence du signalement d'origine"),
        max_length=20,
        help_text=gettext_lazy("Par exemple FP-ABCD-EFGH-JKLM"),
        error_messages={
            "required": gettext_lazy("Indiquez la référence du signalement d'origine."),
            "max_length": gettext_lazy("Une référence compte 17 caractères."),
        },
    )

    def clean_duplicate_of(self):
        return _reference(self.cleaned_data["duplicate_of"])


class AnswerForm(PayloadForm):
    """A platform's answer received by post or e-mail, recorded by an agent. The reasons
    offered depend on the kind of answer; the workflow guard checks their coherence."""

    kind = forms.ChoiceField(
        label=gettext_lazy("Sens de la réponse"),
        choices=AnswerKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Indiquez le sens de la réponse."),
            "invalid_choice": gettext_lazy("Choisissez un sens de réponse proposé."),
        },
    )
    actions = forms.MultipleChoiceField(
        label=gettext_lazy("Actions promises (réponse acceptée)"),
        choices=PromisedAction.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Choisissez des actions parmi celles proposées.")},
    )
    rejection_reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Motifs du rejet (réponse rejetée)"),
        choices=RejectionReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Choisissez des motifs parmi ceux proposés.")},
    )
    not_concerned_reasons = forms.MultipleChoiceField(
        label=gettext_lazy("Motifs (plateforme non concernée)"),
        choices=NotConcernedReason.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": gettext_lazy("Choisissez des motifs parmi ceux proposés.")},
    )
    message_for_seller = _text_field(
        gettext_lazy("Message de la plateforme pour le vendeur"),
        required_message=gettext_lazy("La réponse doit comporter un message pour le vendeur."),
    )
    message_for_administration = _text_field(
        gettext_lazy("Message de la plateforme pour l'administration seulement"), required=False, rows=3
    )

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        # Reasons ticked under the other kind of refusal are a slip, not something to drop silently.
        for field, other_kind in (
            ("rejection_reasons", AnswerKind.NOT_CONCERNED),
            ("not_concerned_reasons", AnswerKind.REJECTED),
        ):
            if kind == other_kind and cleaned.get(field):
                self.add_error(
                    field,
                    _("Ces motifs ne valent pas pour une réponse « %(kind)s ».") % {"kind": AnswerKind(kind).label},
                )
        return cleaned

    def payload(self) -> dict:
        data = self.cleaned_data
        reasons = {
            AnswerKind.REJECTED: data["rejection_reasons"],
            AnswerKind.NOT_CONCERNED: data["not_concerned_reasons"],
        }.get(data["kind"], data["rejection_reasons"] + data["not_concerned_reasons"])
        return {
            "kind": data["kind"],
            "reasons": reasons,
            "actions": data["actions"],
            "message_for_seller": data["message_for_seller"],
            "message_for_administration": data["message_for_administration"],
        }


class ReferralForm(PayloadForm):
    mediator = forms.ModelChoiceField(
        label=gettext_lazy("Médiateur"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Désigné plus tard par le Médiateur des entreprises"),
        error_messages={"invalid_choice": gettext_lazy("Choisissez un médiateur de la liste.")},
    )
    seller_consent = forms.BooleanField(
        label=gettext_lazy("Le vendeur a donné son accord à la médiation"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = (
            get_user_model().objects.filter(is_active=True, role=Role.MEDIATOR).order_by("email")
        )


def close_outcomes(state: str) -> list[tuple[str, str]]:
    """The outcomes the ``close`` guard accepts from ``state`` for an agent (a withdrawal has
    its own action; mediation outcomes only after a referral)."""
    in_mediation = state in (ReportState.REFERRED, ReportState.IN_MEDIATION)
    return [
        (value, label)
        for value, label in Outcome.choices
        if value != Outcome.WITHDRAWN and (in_mediation or value not in MEDIATION_OUTCOMES)
    ]


class CloseForm(PayloadForm):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Issue"),
        error_messages={
            "required": gettext_lazy("Indiquez l'issue du signalement."),
            "invalid_choice": gettext_lazy("Cette issue n'est pas possible pour ce signalement."),
        },
    )
    reason = _text_field(gettext_lazy("Commentaire"), required=False, rows=3)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].choices = [("", _("Choisir une issue"))] + close_outcomes(self.report.state)


TRANSITION_FORMS: dict[str, type[PayloadForm]] = {
    "reject_as_not_admissible": NotAdmissibleForm,
    "withdraw": WithdrawForm,
    "reopen": ReopenForm,
    "mark_duplicate": DuplicateForm,
    "record_answer": AnswerForm,
    "refer_to_mediation": ReferralForm,
    "close": CloseForm,
}


def transition_form(report, transition: Transition, data=None) -> PayloadForm:
    """The form of ``transition`` (no field for a transition without payload)."""
    return TRANSITION_FORMS.get(transition.name, PayloadForm)(data, report=report, transition=transition)


class AssignForm(DsfrBaseForm):
    prefix = "assign"
    assignee = forms.ModelChoiceField(
        label=gettext_lazy("Agent chargé du dossier"),
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label=gettext_lazy("Personne"),
        error_messages={"invalid_choice": gettext_lazy("Choisissez un agent de l'observatoire.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = (
            get_user_model().objects.filter(is_active=True, role__in=OBSERVATORY_ROLES).order_by("email")
        )


class NoteForm(DsfrBaseForm):
    prefix = "note"
    body = _text_field(
        gettext_lazy("Nouvelle note"),
        required_message=gettext_lazy("Écrivez la note."),
        help_text=gettext_lazy("Visible par l'observatoire seulement."),
    )


class RequalifyForm(DsfrBaseForm):
    """A new family and/or marketplace, with the reason; an unchanged value is passed as None."""

    prefix = "requalify"

    family = forms.ChoiceField(
        label=gettext_lazy("Famille de problèmes"),
        error_messages={
            "required": gettext_lazy("Choisissez une famille de problèmes."),
            "invalid_choice": gettext_lazy("Choisissez une famille proposée."),
        },
    )
    marketplace = forms.ChoiceField(
        label=gettext_lazy("Place de marché"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choisissez une place de marché du registre.")},
    )
    reason = _text_field(
        gettext_lazy("Motif de la requalification"), required_message=gettext_lazy("Indiquez le motif."), rows=3
    )

    def __init__(self, *args, report, **kwargs):
        self.report = report
        self.families = {family.code: family for family in active_families()}
        self.marketplaces = {marketplace.slug: marketplace for marketplace in active_marketplaces()}
        kwargs.setdefault(
            "initial",
            {"family": report.family.code, "marketplace": report.marketplace.slug if report.marketplace_id else ""},
        )
        super().__init__(*args, **kwargs)
        self.fields["family"].choices = [(code, family.label) for code, family in self.families.items()]
        marketplaces = [(slug, marketplace.name) for slug, marketplace in self.marketplaces.items()]
        if report.marketplace_id is None:
            marketplaces.insert(0, ("", _("Hors registre : %(name)s") % {"name": report.marketplace_other_name}))
        else:
            self.fields["marketplace"].required = True
            self.fields["marketplace"].error_messages["required"] = _("Choisissez une place de marché.")
        self.fields["marketplace"].choices = marketplaces

    def changes(self) -> dict:
        """The keyword arguments of ``casework.requalify`` (None: unchanged)."""
        family = self.families[self.cleaned_data["family"]]
        marketplace = self.marketplaces.get(self.cleaned_data["marketplace"])
        return {
            "family": family if family.pk != self.report.family_id else None,
            "marketplace": marketplace if marketplace and marketplace.pk != self.report.marketplace_id else None,
            "reason": self.cleaned_data["reason"],
        }


class MergeForm(DsfrBaseForm):
    prefix = "merge"
    original = forms.CharField(
        label=gettext_lazy("Référence du signalement d'origine"),
        max_length=20,
        help_text=gettext_lazy("Ce signalement-ci sera rattaché à celui-là."),
        error_messages={
            "required": gettext_lazy("Indiquez la référence du signalement d'origine."),
            "max_length": gettext_lazy("Une référence compte 17 caractères."),
        },
    )
    reason = _text_field(gettext_lazy("Commentaire"), required=False, rows=2)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_original(self):
        reference = _reference(self.cleaned_data["original"])
        try:
            # Through the scoped access, like any report a view touches.
            return get_report_for_user(self.user, reference)
        except Http404:
            raise ValidationError(
                _("Aucun signalement ne porte la référence %(reference)s.") % {"reference": reference}
            ) from None


class MessageForm(DsfrBaseForm):
    prefix = "message"
    recipient = forms.ChoiceField(
        label=gettext_lazy("Destinataire"),
        widget=forms.RadioSelect,
        choices=[(Party.SELLER, gettext_lazy("Le vendeur")), (Party.PLATFORM, gettext_lazy("La plateforme"))],
        error_messages={
            "required": gettext_lazy("Choisissez le destinataire."),
            "invalid_choice": gettext_lazy("Choisissez le vendeur ou la plateforme."),
        },
    )
    body = _text_field(gettext_lazy("Message"), required_message=gettext_lazy("Écrivez le message."), rows=5)
