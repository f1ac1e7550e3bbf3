"""The queue page's forms keep each field's rendered group in a cache: the same inputs give the same HTML, and
anything the HTML depends on (value, errors, choices, language) gives another entry."""

import pytest
from django import forms
from django.utils import translation
from dsfr.forms import DsfrBaseForm

from fairplace.core import forms as core_forms
from fairplace.core.forms import CachedFieldGroups


class Sample(CachedFieldGroups, DsfrBaseForm):
    name = forms.CharField(label="Nom", max_length=10)
    colour = forms.ChoiceField(label="Couleur", choices=[("r", "Rouge"), ("b", "Bleu")])


class Plain(DsfrBaseForm):
    name = forms.CharField(label="Nom", max_length=10)
    colour = forms.ChoiceField(label="Couleur", choices=[("r", "Rouge"), ("b", "Bleu")])


@pytest.fixture(autouse=True)
def _empty_cache():
    core_forms._FIELD_CACHE.clear()
    yield
    core_forms._FIELD_CACHE.clear()


@pytest.mark.parametrize("data", [None, {"name": "Zoé", "colour": "b"}, {"name": "x" * 11, "colour": "vert"}])
def test_the_cached_html_is_the_html_django_renders(data):
    for _ in range(2):  # the second time from the cache
        cached, plain = Sample(data=data), Plain(data=data)
        for name in ("name", "colour"):
            assert str(cached[name].as_field_group()) == str(plain[name].as_field_group())


def test_what_the_html_depends_on_makes_another_entry():
    str(Sample(data={"name": "a", "colour": "r"})["name"].as_field_group())
    str(Sample(data={"name": "b", "colour": "r"})["name"].as_field_group())
    invalid = Sample(data={"name": "x" * 11, "colour": "r"})
    assert "10" in str(invalid["name"].as_field_group())  # its error is shown, not a cached valid field
    with translation.override("en"):
        str(Sample(data={"name": "a", "colour": "r"})["name"].as_field_group())
    form = Sample()
    form.fields["colour"].choices = [("v", "Vert")]
    assert "Vert" in str(form["colour"].as_field_group())
    assert len(core_forms._FIELD_CACHE) == 5
