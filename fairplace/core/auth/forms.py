from django import forms
from django.contrib.auth import authenticate
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from dsfr.forms import DsfrBaseForm


class LoginForm(DsfrBaseForm):
    email = forms.EmailField(
        label=gettext_lazy("Adresse électronique"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Mot de passe"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def __init__(self, request, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.request = request
        self.user = None

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        email, password = cleaned.get("email"), cleaned.get("password")
        if email and password:
            # The request lets django-axes count the failure (and refuse a locked-out pair).
            self.user = authenticate(self.request, username=email, password=password)
            if self.user is None:
                # One message for an unknown address, a wrong password or a disabled account.
                raise ValidationError(_("Adresse électronique ou mot de passe incorrect."), code="invalid_login")
        return cleaned


class TokenForm(DsfrBaseForm):
    code = forms.CharField(
        label=gettext_lazy("Code à 6 chiffres"),
        help_text=gettext_lazy("Affiché par votre application d'authentification ; il change toutes les 30 secondes."),
        max_length=7,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*", "autofocus": True}
        ),
    )

    def clean_code(self):
        value = self.cleaned_data["code"].replace(" ", "")
        if len(value) != 6 or not value.isdigit():
            raise ValidationError(_("Le code compte 6 chiffres."))
        return value
