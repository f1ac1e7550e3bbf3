"""The families and their questions are data: every family must build a working form."""

from pathlib import Path

import pytest
import yaml

from fairplace.reports.families import load_families, read_families
from fairplace.reports.models import ProblemFamily
from fairplace.reports.questions import QuestionSpecError, build_form_class, display_answers, to_json
from tests.conftest import details_for

FAMILIES = read_families()
REQUIRED_CODES = {
    "DEREF",
    "SUSP",
    "FUNDS",
    "TCCHG",
    "FEES",
    "CONTACT",
    "RANK",
    "COUNTERFEIT-VICTIM",
    "COUNTERFEIT-ACCUSED",
    "REVIEWS",
    "GUARANTEE",
    "PARITY",
    "SELFPREF",
    "CLAUSES",
    "DATA-EXIT",
    "REDRESS",
    "KYB",
    "COMPLIANCE-BLOCK",
    "OTHER",
}


def test_every_family_of_the_domain_is_declared():
    assert {family["code"] for family in FAMILIES} == REQUIRED_CODES
    assert FAMILIES[-1]["code"] == "OTHER"


def _family(code: str) -> dict:
    return next(family for family in FAMILIES if family["code"] == code)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f["code"])
def test_each_family_has_french_texts_and_a_date_question(family):
    assert family["label"] and len(family["explanation"]) > 30
    assert "occurred_on" in {question["id"] for question in family["questions"]} or family["code"] in {
        "TCCHG",
        "FEES",
        "COUNTERFEIT-VICTIM",
    }


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f["code"])
def test_each_family_form_rejects_empty_answers_and_accepts_complete_ones(family):
    form_class = build_form_class(family["questions"])
    required = [q["id"] for q in family["questions"] if q.get("required") and not q.get("show_if")]
    empty = form_class(data={})
    assert not empty.is_valid()
    assert set(required) <= set(empty.errors)
    assert all("obligatoire" in empty.errors[qid][0] for qid in required)

    complete = form_class(data=details_for(ProblemFamily(questions=family["questions"])))
    assert complete.is_valid(), complete.errors
    answers = to_json(complete.cleaned_data)
    assert set(required) <= set(answers)
    assert len(display_answers(family["questions"], answers)) == len(answers)


def _susp_form(**overrides):
    family = _family("SUSP")
    data = details_for(ProblemFamily(questions=family["questions"]))
    data.update(overrides)
    return build_form_class(family["questions"])(data=data)


def test_conditional_question_is_required_only_when_it_applies():
    form = _susp_form(statement_received="yes", statement_medium="")
    assert not form.is_valid()
    assert form.errors["statement_medium"] == ["Ce champ est obligatoire."]

    form = _susp_form(statement_received="no", statement_medium="email")
    assert form.is_valid(), form.errors
    assert form.cleaned_data["statement_medium"] is None  # a hidden answer is not kept


def test_dates_in_the_future_or_before_2000_are_refused():
    form = _susp_form(occurred_on="2999-01-01")
    assert not form.is_valid()
    assert form.errors["occurred_on"] == ["La date ne peut pas être dans le futur."]
    form = _susp_form(occurred_on="1999-12-31")
    assert not form.is_valid()
    assert "2000" in form.errors["occurred_on"][0]


def test_french_dates_and_decimal_commas_are_understood():
    form = _susp_form(occurred_on="02/03/2026", turnover_share="37,5")
    assert form.is_valid(), form.errors
    answers = to_json(form.cleaned_data)
    assert answers["occurred_on"] == "2026-03-02"
    assert answers["turnover_share"] == "37.5"


def test_percent_above_100_and_negative_amounts_are_refused():
    form = _susp_form(turnover_share="120")
    assert not form.is_valid()
    assert "100" in form.errors["turnover_share"][0]


def test_date_order_constraint_between_two_questions():
    questions = [
        {"id": "announced_on", "type": "date", "label": "Annoncé le", "required": True},
        {
            "id": "effective_on",
            "type": "date",
            "label": "En vigueur le",
            "required": True,
            "not_before": "announced_on",
        },
    ]
    form = build_form_class(questions)(data={"announced_on": "2026-03-10", "effective_on": "2026-03-01"})
    assert not form.is_valid()
    assert form.errors["effective_on"] == ["Cette date ne peut pas précéder « Annoncé le »."]


@pytest.mark.parametrize(
    "broken, message",
    [
        ({"id": "x", "type": "colour", "label": "X"}, "unknown type"),
        ({"id": "x", "type": "integer", "label": "X", "choices": []}, "unknown keys"),
        ({"id": "x", "type": "choice", "label": "X", "choices": [{"value": "a", "label": "A"}] * 2}, "distinct"),
        ({"id": "x", "type": "date", "label": "X", "not_before": "nowhere"}, "earlier date"),
        ({"id": "x", "type": "text", "label": "X", "show_if": {"later": "yes"}}, "not an earlier question"),
    ],
)
def test_loader_refuses_malformed_question_declarations(tmp_path: Path, broken, message):
    document = {"families": [{"code": "BAD", "label": "Bad", "explanation": "…", "questions": [broken]}]}
    path = tmp_path / "families.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    with pytest.raises(QuestionSpecError, match=message):
        read_families(path)


def test_loading_twice_updates_instead_of_duplicating(db):
    first = load_families()
    second = load_families()
    assert first == (len(FAMILIES), 0)
    assert second == (0, len(FAMILIES))
    assert ProblemFamily.objects.count() == len(FAMILIES)
    assert list(ProblemFamily.objects.values_list("code", flat=True))[-1] == "OTHER"
