"""Form fields shared by the apps' forms."""

import threading

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

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


class CachedFieldGroups:
    """A form mixin for pages rendered again and again with the same fields (the agents' queue: its filters,
    bulk, export and saved-filter forms): each field's HTML group (label, widget, hint, errors) is kept in a
    per-process cache keyed on everything it is rendered from — form class, field, language, prefix and
    ids, value, errors, choices, label, hint, widget and its attributes — so the same field with the same
    value is rendered by the templates once. Fields whose choices come from a queryset are never cached."""

    def __getitem__(self, name):
        bound = super().__getitem__(name)
        if not isinstance(bound, _CachedFieldGroup):
            bound.__class__ = _cached_class(type(bound))
        return bound


_FIELD_CACHE: dict = {}
_FIELD_CACHE_SIZE = 4096
_FIELD_CACHE_LOCK = threading.Lock()


def _cached_class(bound_class: type) -> type:
    """The bound field's own class (Django's, django-dsfr's…) with the cached rendering on top."""
    cached = _CACHED_CLASSES.get(bound_class)
    if cached is None:
        cached = _CACHED_CLASSES[bound_class] = type(
            f"Cached{bound_class.__name__}", (_CachedFieldGroup, bound_class), {}
        )
    return cached


_CACHED_CLASSES: dict = {}


class _CachedFieldGroup:
    def as_field_group(self):
        key = self._cache_key()
        if key is None:
            return super().as_field_group()
        html = _FIELD_CACHE.get(key)
        if html is None:
            html = str(super().as_field_group())
            with _FIELD_CACHE_LOCK:
                if len(_FIELD_CACHE) >= _FIELD_CACHE_SIZE:
                    _FIELD_CACHE.clear()  # rare: a cache this size holds every ordinary combination
                _FIELD_CACHE[key] = html
        return mark_safe(html)  # noqa: S308 - the HTML Django's templates rendered for these very inputs

    def _cache_key(self):
        field = self.field
        choices = getattr(field, "choices", None)
        if isinstance(choices, ModelChoiceIterator):
            return None
        form = self.form
        try:
            return (
                type(form).__module__, type(form).__qualname__, self.name, get_language(), form.prefix,
                form.auto_id, form.is_bound, _frozen(self.value()), tuple(str(error) for error in self.errors),
                _frozen(choices), field.required, field.disabled, str(self.label), str(self.help_text),
                type(field.widget).__qualname__, _frozen(field.widget.attrs),
            )  # fmt: skip
        except TypeError:  # a value that cannot be a key: render as usual
            return None


def _frozen(value):
    if isinstance(value, dict):
        return tuple(sorted((str(key), _frozen(item)) for key, item in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_frozen(item) for item in value)
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    return (type(value).__qualname__, str(value))
