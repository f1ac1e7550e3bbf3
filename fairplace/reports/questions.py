"""Family questions declared as data (``data/families.yaml``) and turned into forms.

A question is a dict: id, type, label, optional help, required, show_if and type-specific
keys. The loader checks every key strictly so that a typo in the YAML fails at load time,
not in front of a seller.
"""

import functools
import json
from datetime import date
from decimal import Decimal

from django import forms
from django.utils.timezone import localdate
from django.utils.translation import gettext as _
from dsfr.forms import DsfrBaseForm

TYPE_KEYS = {
    "date": {"not_after", "not_before"},
    "integer": {"min", "max", "unit"},
    "amount": {"min", "max"},
    "percent": {"min", "max"},
    "boolean": set(),
    "choice": {"choices"},
    "text": {"max_length"},
}
COMMON_KEYS = {"id", "type", "label", "help", "required", "show_if"}
YES_NO = [("yes", "Oui"), ("no", "Non")]


class QuestionSpecError(ValueError):
    pass


def validate_questions(questions: list[dict], where: str) -> None:
    """Raise QuestionSpecError for anything a form could not honour."""
    seen: dict[str, dict] = {}
    for question in questions:
        qid = question.get("id")
        qtype = question.get("type")
        if not qid or qtype not in TYPE_KEYS:
            raise QuestionSpecError(f"{where}: question {qid!r} has an unknown type {qtype!r}")
        unknown = set(question) - COMMON_KEYS - TYPE_KEYS[qtype]
        if unknown:
            raise QuestionSpecError(f"{where}: question {qid!r} has unknown keys {sorted(unknown)}")
        if qid in seen:
            raise QuestionSpecError(f"{where}: duplicate question id {qid!r}")
        if not question.get("label"):
            raise QuestionSpecError(f"{where}: question {qid!r} has no label")
        if qtype == "choice":
            values = [choice["value"] for choice in question.get("choices") or []]
            if not values or len(values) != len(set(values)):
                raise QuestionSpecError(f"{where}: question {qid!r} needs distinct choices")
        for key in ("not_after", "not_before"):
            target = question.get(key)
            if target and seen.get(target, {}).get("type") != "date":
                raise QuestionSpecError(f"{where}: {qid}.{key} must name an earlier date question")
        for target in question.get("show_if") or {}:
            if target not in seen:
                raise QuestionSpecError(f"{where}: {qid}.show_if names {target!r}, not an earlier question")
        seen[qid] = question


def expand(family: dict, question_sets: dict[str, list[dict]]) -> list[dict]:
    questions: list[dict] = []
    for set_name in family.get("uses") or []:
        if set_name not in question_sets:
            raise QuestionSpecError(f"{family['code']}: unknown question set {set_name!r}")
        questions.extend(question_sets[set_name])
    questions.extend(family.get("questions") or [])
    validate_questions(questions, family["code"])
    return [dict(question) for question in questions]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def _field(question: dict) -> forms.Field:
    qtype = question["type"]
    common = {
        "label": question["label"],
        "help_text": question.get("help", ""),
        # A conditional question is required only when shown: clean() drops the error of
        # a question whose condition does not hold.
        "required": bool(question.get("required")),
    }
    if qtype == "date":
        return forms.DateField(widget=DateInput, input_formats=["%Y-%m-%d", "%d/%m/%Y"], **common)
    if qtype == "integer":
        if question.get("unit"):
            common["help_text"] = (common["help_text"] + " " + _("En %(unit)s.") % {"unit": question["unit"]}).strip()
        return forms.IntegerField(
            min_value=question.get("min", 0),
            max_value=question.get("max", 1_000_000),
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            **common,
        )
    if qtype in ("amount", "percent"):
        default_max = 100 if qtype == "percent" else 1_000_000_000
        suffix = _("En pourcentage, par exemple 12,5.") if qtype == "percent" else _("En euros.")
        common["help_text"] = (common["help_text"] + " " + suffix).strip()
        return forms.DecimalField(
            min_value=Decimal(str(question.get("min", 0))),
            max_value=Decimal(str(question.get("max", default_max))),
            max_digits=14,
            decimal_places=2,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            **common,
        )
    if qtype == "boolean":
        return forms.ChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    if qtype == "choice":
        choices = [(choice["value"], choice["label"]) for choice in question["choices"]]
        return forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    return forms.CharField(max_length=question.get("max_length", 500), **common)


def _as_lists(condition: dict) -> dict:
    return {key: [str(v) for v in (value if isinstance(value, list) else [value])] for key, value in condition.items()}


def _visible(question: dict, values: dict) -> bool:
    for target, expected in (question.get("show_if") or {}).items():
        allowed = expected if isinstance(expected, list) else [expected]
        if values.get(target) not in [str(value) for value in allowed]:
            return False
    return True


class FamilyQuestionsForm(DsfrBaseForm):
    """Base class of the generated forms; ``questions`` is set on each subclass."""

    questions: list[dict] = []

    def rows(self):
        """(bound field, JSON condition or "") for the template: the condition lets the
        browser hide a question that does not apply; the server decides anyway."""
        for question in self.questions:
            condition = question.get("show_if")
            yield self[question["id"]], json.dumps(_as_lists(condition)) if condition else ""

    def clean(self):
        cleaned = super().clean()
        for question in self.questions:
            qid = question["id"]
            if not _visible(question, cleaned):
                # A hidden question keeps no answer, even one typed before the seller
                # changed the answer it depends on.
                cleaned[qid] = None
                self.errors.pop(qid, None)
                continue
            self._check_date_order(question, cleaned)
        return cleaned

    def _check_date_order(self, question: dict, cleaned: dict) -> None:
        value = cleaned.get(question["id"])
        if not isinstance(value, date):
            return
        if value > localdate():
            self.add_error(question["id"], _("La date ne peut pas être dans le futur."))
            return
        if value.year < 2000:
            self.add_error(question["id"], _("La date doit être postérieure au 1er janvier 2000."))
            return
        before = cleaned.get(question.get("not_before") or "")
        after = cleaned.get(question.get("not_after") or "")
        if isinstance(before, date) and value < before:
            self.add_error(
                question["id"],
                _("Cette date ne peut pas précéder « %(label)s ».")
                % {"label": self.fields[question["not_before"]].label},
            )
        if isinstance(after, date) and value > after:
            self.add_error(
                question["id"],
                _("Cette date ne peut pas suivre « %(label)s ».") % {"label": self.fields[question["not_after"]].label},
            )


def build_form_class(questions: list[dict]) -> type[FamilyQuestionsForm]:
    # Form classes are immutable once built (fields are deep-copied per form instance),
    # so one class per distinct question list is reused across requests.
    return _form_class_for(json.dumps(questions, sort_keys=True))


@functools.lru_cache(maxsize=256)
def _form_class_for(spec: str) -> type[FamilyQuestionsForm]:
    questions = json.loads(spec)
    attrs = {question["id"]: _field(question) for question in questions}
    attrs["questions"] = questions
    return type("FamilyQuestionsForm", (FamilyQuestionsForm,), attrs)


def to_json(cleaned: dict) -> dict:
    """Answers as JSON-safe values: ISO dates, decimals as strings, None dropped."""
    out = {}
    for key, value in cleaned.items():
        if value is None or value == "":
            continue
        out[key] = value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value
    return out


def display_answers(questions: list[dict], answers: dict) -> list[tuple[str, str]]:
    """(label, value in French) for each answered question, in question order."""
    rows = []
    for question in questions:
        value = answers.get(question["id"])
        if value in (None, ""):
            continue
        rows.append((question["label"], _display(question, value)))
    return rows


def _display(question: dict, value) -> str:
    qtype = question["type"]
    if qtype == "boolean":
        return dict(YES_NO).get(value, value)
    if qtype == "choice":
        return {choice["value"]: choice["label"] for choice in question["choices"]}.get(value, value)
    if qtype == "date":
        return date.fromisoformat(value).strftime("%d/%m/%Y")
    if qtype == "percent":
        return f"{str(value).replace('.', ',')} %"
    if qtype == "amount":
        return f"{str(value).replace('.', ',')} €"
    if qtype == "integer" and question.get("unit"):
        return f"{value} {question['unit']}"
    return str(value)
