"""Form fields shared by the apps' forms."""

from django import forms

DATE_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]  # the browser's date picker sends ISO; a date typed by hand, French


class DateInput(forms.DateInput):
    """``<input type="date">``, its value written in ISO as the browser expects."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def date_field(label, *, invalid: str, required: bool = True, help_text="") -> forms.DateField:
    """A date typed in the browser's date picker (ISO) or by hand (dd/mm/yyyy); ``invalid``: the French message
    of a date that cannot be read."""
    return forms.DateField(
        label=label,
        required=required,
        help_text=help_text,
        widget=DateInput,
        input_formats=DATE_FORMATS,
        error_messages={"invalid": invalid},
    )
