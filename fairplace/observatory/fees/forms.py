"""Back-office forms of the fee observatory: a schedule typed in (header + component rows) and
the upload of an import file. They check what was typed with the rules of ``schedules.py``, so
the form, the import file and the service agree."""

from django import forms
from django.forms import BaseFormSet, formset_factory
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm

from fairplace.core.forms import date_field
from fairplace.platforms.models import Marketplace

from .models import Base, ComponentKind, FeeCategory, Reliability, TierMode
from .schedules import (
    COMPONENT_FIELDS,
    component_problems,
    components_problems,
    existing_message,
    schedule_exists,
    schedule_problems,
)

COMPONENT_ROWS = 8
TEXT_FIELDS = ("kind", "plan", "platform_category", "base", "tier_mode", "reliability", "notes")
INVALID_DATE = gettext_lazy("Date invalide (JJ/MM/AAAA).")


def _date_field(label, *, required=True, help_text=""):
    return date_field(label, invalid=INVALID_DATE, required=required, help_text=help_text)


def _decimal_field(label, *, max_digits, decimal_places, help_text=""):
    return forms.DecimalField(
        label=label,
        required=False,
        max_digits=max_digits,
        decimal_places=decimal_places,
        min_value=0,
        localize=True,
        help_text=help_text,
    )


class ScheduleForm(DsfrBaseForm):
    marketplace = forms.ModelChoiceField(
        label=gettext_lazy("Place de marché"),
        queryset=Marketplace.objects.none(),
        empty_label=gettext_lazy("Choisir une place de marché"),
    )
    effective_on = _date_field(
        gettext_lazy("Date d'effet"), help_text=gettext_lazy("Date à partir de laquelle ces frais s'appliquent.")
    )
    announced_on = _date_field(
        gettext_lazy("Date d'annonce aux vendeurs (facultatif)"),
        required=False,
        help_text=gettext_lazy(
            "Laissez vide si elle est inconnue. Une annonce postérieure à "
            "la date d'effet est acceptée : elle sera signalée."
        ),
    )
    observed_on = _date_field(
        gettext_lazy("Date de relevé"), help_text=gettext_lazy("Date à laquelle la source a été consultée ou datée.")
    )
    source_url = forms.URLField(
        label=gettext_lazy("Source : adresse (facultatif si un document est indiqué)"),
        required=False,
        max_length=500,
        assume_scheme="https",
    )
    source_document = forms.CharField(
        label=gettext_lazy("Source : document (facultatif si une adresse est indiquée)"), required=False, max_length=300
    )
    reliability = forms.ChoiceField(label=gettext_lazy("Fiabilité"), choices=Reliability.choices)
    notes = forms.CharField(
        label=gettext_lazy("Remarques sur la grille (facultatif)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"observed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["marketplace"].queryset = Marketplace.objects.order_by("name")

    def clean(self):
        cleaned = super().clean()
        for problem in schedule_problems(
            effective_on=cleaned.get("effective_on"),
            observed_on=cleaned.get("observed_on"),
            source_url=cleaned.get("source_url"),
            source_document=cleaned.get("source_document"),
            reliability=cleaned.get("reliability"),
        ):
            if problem.field in self.fields and problem.field not in self.errors and problem.field in cleaned:
                self.add_error(problem.field, problem.message[:1].upper() + problem.message[1:] + ".")
        if (
            cleaned.get("marketplace")
            and cleaned.get("effective_on")
            and schedule_exists(cleaned["marketplace"], cleaned["effective_on"])
        ):
            message = existing_message(cleaned["marketplace"], cleaned["effective_on"])
            self.add_error("effective_on", message[:1].upper() + message[1:] + ".")
        return cleaned

    def schedule_fields(self) -> dict:
        """The schedule's arguments for ``record_schedule``."""
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "marketplace",
                "effective_on",
                "announced_on",
                "observed_on",
                "source_url",
                "source_document",
                "reliability",
                "notes",
            )
        }


YES_NO = [("oui", gettext_lazy("Oui")), ("non", gettext_lazy("Non"))]


class ComponentForm(DsfrBaseForm):
    kind = forms.ChoiceField(
        label=gettext_lazy("Type de frais"),
        required=False,
        choices=[("", gettext_lazy("— (ligne vide)"))] + ComponentKind.choices,
    )
    plan = forms.CharField(
        label=gettext_lazy("Formule"),
        required=False,
        max_length=60,
        help_text=gettext_lazy("Vide : quelle que soit la formule."),
    )
    platform_category = forms.CharField(
        label=gettext_lazy("Catégorie de la plateforme"), required=False, max_length=200
    )
    category = forms.ModelChoiceField(
        label=gettext_lazy("Catégorie commune"),
        required=False,
        queryset=FeeCategory.objects.none(),
        empty_label=gettext_lazy("Toutes les autres catégories (par défaut)"),
    )
    rate = _decimal_field(gettext_lazy("Taux (%)"), max_digits=6, decimal_places=3)
    amount = _decimal_field(gettext_lazy("Montant (€ HT)"), max_digits=10, decimal_places=2)
    base = forms.ChoiceField(label=gettext_lazy("Assiette"), choices=Base.choices, initial=Base.PRICE_INCL_VAT)
    includes_shipping = forms.TypedChoiceField(
        label=gettext_lazy("Port inclus dans l'assiette"),
        choices=YES_NO,
        coerce=lambda value: value == "oui",
        initial="oui",
    )
    min_per_item = _decimal_field(gettext_lazy("Minimum par article (€)"), max_digits=8, decimal_places=2)
    max_per_item = _decimal_field(gettext_lazy("Plafond par article (€)"), max_digits=8, decimal_places=2)
    price_from = _decimal_field(gettext_lazy("Tranche : prix de (€)"), max_digits=10, decimal_places=2)
    price_to = _decimal_field(gettext_lazy("Tranche : prix jusqu'à (€)"), max_digits=10, decimal_places=2)
    tier_mode = forms.ChoiceField(
        label=gettext_lazy("Mode des tranches"), required=False, choices=[("", "—")] + TierMode.choices
    )
    reliability = forms.ChoiceField(
        label=gettext_lazy("Fiabilité"),
        required=False,
        choices=[("", gettext_lazy("Celle de la grille"))] + Reliability.choices,
    )
    notes = forms.CharField(
        label=gettext_lazy("Remarques"),
        required=False,
        max_length=300,
        help_text=gettext_lazy("Obligatoires pour une commission au taux inconnu : dites pourquoi."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = FeeCategory.objects.all()

    def clean(self):
        cleaned = super().clean()
        if not self.has_changed():
            return cleaned
        if not cleaned.get("kind"):
            if "kind" not in self.errors:
                self.add_error("kind", _("Choisissez le type de frais (ou videz la ligne)."))
            return cleaned
        if any(name in self.errors for name in COMPONENT_FIELDS):
            return cleaned
        for field, message in component_problems(self.component()):
            if field in self.fields and field not in self.errors:
                self.add_error(field, message[:1].upper() + message[1:] + ".")
        return cleaned

    def component(self) -> dict:
        """The row as ``record_schedule`` takes it."""
        data = self.cleaned_data
        component = {name: data.get(name) for name in COMPONENT_FIELDS}
        for name in TEXT_FIELDS:
            component[name] = component[name] or ""
        component["base"] = component["base"] or Base.PRICE_INCL_VAT
        component["includes_shipping"] = data.get("includes_shipping", True)
        return component


class BaseComponentFormSet(BaseFormSet):
    def filled_forms(self) -> list[tuple[int, ComponentForm]]:
        """(row number from 1, form) of the rows typed in."""
        return [
            (number, form)
            for number, form in enumerate(self.forms, start=1)
            if form.has_changed() and getattr(form, "cleaned_data", None) is not None
        ]

    def clean(self):
        if any(self.errors):
            return
        filled = self.filled_forms()
        if not filled:
            raise forms.ValidationError(_("Saisissez au moins une composante."))
        components = [form.component() for _number, form in filled]
        for problem in components_problems(components, where=lambda i: _("la ligne %(n)s") % {"n": filled[i][0]}):
            form = filled[problem.index][1]
            field = problem.field if problem.field in form.fields else None
            form.add_error(field, problem.message[:1].upper() + problem.message[1:] + ".")

    def components(self) -> list[dict]:
        return [form.component() for _number, form in self.filled_forms()]


ComponentFormSet = formset_factory(
    ComponentForm, formset=BaseComponentFormSet, extra=COMPONENT_ROWS, max_num=60, validate_max=True
)


class ImportForm(DsfrBaseForm):
    file = forms.FileField(
        label=gettext_lazy("Fichier CSV ou XLSX"),
        help_text=gettext_lazy(
            "2 Mo et 5 000 lignes au plus ; CSV en UTF-8, séparé par des "
            "points-virgules ou des virgules, ou classeur XLSX (première "
            "feuille)."
        ),
        error_messages={
            "required": gettext_lazy("Choisissez un fichier."),
            "empty": gettext_lazy("Le fichier est vide."),
        },
    )
