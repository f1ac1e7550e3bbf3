"""The wizard's step forms. Every check runs on the server, with a French message."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm

from fairplace.core.identifiers import clean_siret
from fairplace.platforms.queries import active_marketplaces

from .models import CompanySize, Consent, active_families

OTHER = "autre"
NAF_RE = re.compile(r"^\d{2}\.\d{2}[A-Z]$")
PHONE_RE = re.compile(r"^\+?[0-9 .()-]{6,20}$")


class MarketplaceForm(DsfrBaseForm):
    marketplace = forms.ChoiceField(label=gettext_lazy("Sur quelle place de marché ?"), widget=forms.RadioSelect)
    other_name = forms.CharField(label=gettext_lazy("Nom de la place de marché"), max_length=100, required=False)
    other_url = forms.URLField(
        label=gettext_lazy("Adresse du site"),
        required=False,
        assume_scheme="https",
        help_text=gettext_lazy("Par exemple https://www.exemple.fr"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(m.slug, m.name) for m in active_marketplaces()]
        self.fields["marketplace"].choices = choices + [(OTHER, _("Autre place de marché"))]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("marketplace") == OTHER:
            if not cleaned.get("other_name"):
                self.add_error("other_name", _("Indiquez le nom de la place de marché."))
        else:
            cleaned["other_name"] = cleaned["other_url"] = ""
        return cleaned


class FamilyForm(DsfrBaseForm):
    family = forms.ChoiceField(
        label=gettext_lazy("Quel est le problème principal ?"),
        widget=forms.RadioSelect,
        help_text=gettext_lazy(
            "Si plusieurs problèmes se cumulent, choisissez celui qui "
            "vous cause le plus de tort ; décrivez les autres plus loin."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.families = active_families()
        self.fields["family"].choices = [(f.code, f.label) for f in self.families]


class DescriptionForm(DsfrBaseForm):
    description = forms.CharField(
        label=gettext_lazy("Décrivez ce qui s'est passé"),
        min_length=30,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Les faits, dans l'ordre, avec les échanges que vous avez eus avec la plateforme. "
            "N'indiquez pas de données personnelles de vos clients."
        ),
        error_messages={
            "min_length": gettext_lazy("Décrivez le problème en quelques phrases (30 caractères au moins).")
        },
    )


class CompanyForm(DsfrBaseForm):
    siret = forms.CharField(
        label=gettext_lazy("Numéro SIRET"),
        max_length=20,
        help_text=gettext_lazy("14 chiffres, sur votre extrait Kbis ou sur annuaire-entreprises.data.gouv.fr"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    company_name = forms.CharField(label=gettext_lazy("Nom de l'entreprise"), max_length=200, required=False)
    company_size = forms.ChoiceField(
        label=gettext_lazy("Effectif"), choices=CompanySize.choices, required=False, widget=forms.RadioSelect
    )
    naf_code = forms.CharField(
        label=gettext_lazy("Code NAF / APE"), max_length=6, required=False, help_text=gettext_lazy("Format 47.91B")
    )
    company_source = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, lookup_only: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the SIRET is needed to look the company up; the rest is required to go on.
        self.fields["company_name"].required = not lookup_only
        self.fields["company_size"].required = not lookup_only
        self.fields["company_name"].error_messages["required"] = _("Indiquez le nom de l'entreprise.")
        self.fields["company_size"].error_messages["required"] = _("Indiquez l'effectif de l'entreprise.")

    def clean_siret(self):
        return clean_siret(self.cleaned_data["siret"])

    def clean_naf_code(self):
        value = self.cleaned_data["naf_code"].strip().upper().replace(" ", "")
        if value and re.fullmatch(r"\d{4}[A-Z]", value):
            value = f"{value[:2]}.{value[2:]}"
        if value and not NAF_RE.match(value):
            raise ValidationError(_("Le code NAF s'écrit sous la forme 47.91B."))
        return value

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("company_source") not in ("api", "manual"):
            cleaned["company_source"] = "manual"
        return cleaned


class ContactForm(DsfrBaseForm):
    first_name = forms.CharField(
        label=gettext_lazy("Prénom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    last_name = forms.CharField(
        label=gettext_lazy("Nom"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    email = forms.EmailField(
        label=gettext_lazy("Adresse électronique"),
        max_length=254,
        help_text=gettext_lazy("Un code de confirmation y sera envoyé."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=gettext_lazy("Téléphone"),
        max_length=20,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value and not PHONE_RE.match(value):
            raise ValidationError(_("Le numéro de téléphone n'est pas valide, par exemple 06 12 34 56 78."))
        return value


class CodeForm(DsfrBaseForm):
    code = forms.CharField(
        label=gettext_lazy("Code reçu par courriel"),
        max_length=6,
        min_length=6,
        help_text=gettext_lazy("6 chiffres, valable 15 minutes"),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
        error_messages={"min_length": gettext_lazy("Le code compte 6 chiffres.")},
    )

    def clean_code(self):
        value = self.cleaned_data["code"].strip()
        if not value.isdigit():
            raise ValidationError(_("Le code compte 6 chiffres."))
        return value


class ConsentForm(DsfrBaseForm):
    consent = forms.ChoiceField(
        label=gettext_lazy("Que pouvons-nous faire de votre signalement ?"),
        choices=Consent.choices,
        initial=Consent.ANONYMOUS,
        widget=forms.RadioSelect,
    )


class ConfirmForm(DsfrBaseForm):
    accuracy = forms.BooleanField(
        label=gettext_lazy("Je certifie que les informations de ce signalement sont exactes."),
        error_messages={"required": gettext_lazy("Cochez la case pour certifier l'exactitude du signalement.")},
    )
    submit_key = forms.UUIDField(widget=forms.HiddenInput)


class TrackingRequestForm(DsfrBaseForm):
    email = forms.EmailField(
        label=gettext_lazy("Adresse électronique utilisée pour vos signalements"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()
