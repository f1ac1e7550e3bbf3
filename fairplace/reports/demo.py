"""Demo reports for `make run`, created through the same service as the wizard."""

import random
import uuid
from datetime import timedelta

from django.utils import timezone

from fairplace.platforms.models import Marketplace

from . import intake
from .models import ProblemFamily, Report, ReportDraft

DEMO_SIRETS = ["73282932000074", "55208131766522", "35600000049837"]
DEMO_NAMESPACE = uuid.UUID("6f1d8a52-1a7e-4c59-9a53-4b7b0d0e7a10")


SAMPLE_VALUES = {"boolean": "no", "integer": "3", "amount": "1200", "percent": "40", "text": "Exemple"}


def example_answers(questions: list[dict], occurred_on: str) -> dict:
    """Typed answers that satisfy every required question (and only those), as a seller
    would leave them: for demo data, the test suite and the benchmark."""
    values: dict = {question["id"]: "" for question in questions}
    for question in questions:
        condition = question.get("show_if") or {}
        applies = all(values.get(k) in (v if isinstance(v, list) else [v]) for k, v in condition.items())
        if question.get("required") and applies:
            sample = occurred_on if question["type"] == "date" else SAMPLE_VALUES.get(question["type"])
            values[question["id"]] = sample or question["choices"][-1]["value"]
    return values


def demo_steps(
    marketplace: str, family: ProblemFamily, siret: str, email: str, occurred_on: str, consent: str = "anonymous"
) -> dict:
    details = example_answers(family.questions, occurred_on)
    return {
        "plateforme": {"marketplace": marketplace, "other_name": "", "other_url": ""},
        "probleme": {"family": family.code},
        f"details.{family.code}": details,
        "description": {
            "description": "Signalement de démonstration : offres retirées du jour au lendemain "
            "sans explication, aucune réponse du support vendeurs."
        },
        "entreprise": {
            "siret": siret,
            "company_name": "Entreprise de démonstration",
            "company_size": "micro",
            "naf_code": "47.91B",
            "company_source": "manual",
        },
        "contact": {"first_name": "Camille", "last_name": "Martin", "email": email, "phone": ""},
        "choix": {"consent": consent},
    }


# Where each demo report is taken after intake, so that every space has something to show:
# (marketplace or None for any, consent, steps through the workflow).
SCENARIOS = [
    ("cdiscount", "anonymous", ["qualify", "forward"]),
    ("cdiscount", "identified", ["qualify", "forward"]),
    ("cdiscount", "anonymous", ["qualify", "forward", "answer"]),
    ("cdiscount", "mediation", ["qualify", "refer"]),
    ("manomano", "anonymous", ["qualify", "forward"]),
    (None, "barometer_only", ["qualify"]),
    (None, "anonymous", ["qualify", "forward", "answer", "close"]),
]


def create_demo_reports(count: int = 12, *, agent=None, mediator=None) -> int:
    rng = random.Random(2019)
    marketplaces = list(Marketplace.objects.values_list("slug", flat=True))
    families = list(ProblemFamily.objects.all())
    created = 0
    for index in range(count):
        key = uuid.uuid5(DEMO_NAMESPACE, str(index))
        if Report.objects.filter(idempotency_key=key).exists():
            continue
        marketplace, consent, steps = SCENARIOS[index] if index < len(SCENARIOS) else (None, "anonymous", [])
        occurred = (timezone.localdate() - timedelta(days=rng.randint(5, 200))).isoformat()
        email = f"vendeur{index % 4}@exemple.fr"
        draft = ReportDraft.objects.create(
            submit_key=key,
            email_verified=email,
            steps=demo_steps(
                marketplace or rng.choice(marketplaces),
                rng.choice(families),
                DEMO_SIRETS[index % 3],
                email,
                occurred,
                consent,
            ),
        )
        report = intake.submit_draft(draft.pk, key, ip=f"demo-{index}", notify=False)
        _advance(report, steps, agent=agent, mediator=mediator)
        created += 1
    return created


def _advance(report: Report, steps: list[str], *, agent, mediator) -> None:
    from .workflow import apply_transition

    for step in steps:
        if step == "answer":
            report = apply_transition(
                report,
                "record_answer",
                actor_kind="platform",
                kind="accepted",
                actions=["reinstatement"],
                message_for_seller="Après vérification, vos offres ont été remises en ligne.",
                message_for_administration="Faux positif de notre outil de détection.",
            )
        elif step == "refer":
            report = apply_transition(report, "refer_to_mediation", actor=agent, mediator=mediator)
        elif step == "close":
            report = apply_transition(report, "close", actor=agent, outcome="resolved")
        else:
            report = apply_transition(report, step, actor=agent)


# Sellers who report, in the "fees" family, Cdiscount's default commission going from 15 % to
# 17 % on 1 October 2026, announced a week before. Fictitious: they match the demonstration
# fee schedule of the fee observatory (`manage.py load_fee_demo`), which links them to it.
FEE_DEMO_SIRETS = [
    "83100000500015",
    "83100791900010",
    "83101583900010",
    "83102375900010",
    "83103167900010",
    "83103959900012",
]
FEE_DEMO_ANSWERS = {
    "fee_type": "commission",
    "fee_issue": "increase",
    "fee_rate_before": "15",
    "fee_rate_after": "17",
    "change_announced_on": "2026-09-24",
    "change_effective_on": "2026-10-01",
}


def create_demo_fee_reports() -> int:
    description = (
        "Signalement de démonstration : la commission par défaut est passée de 15 % à 17 % au 1er "
        "octobre, annoncée par un simple courriel une semaine avant."
    )
    return sum(
        _submit_demo("fees", index, "cdiscount", "FEES", siret, FEE_DEMO_ANSWERS, "2026-10-01", description)
        for index, siret in enumerate(FEE_DEMO_SIRETS)
    )


def _submit_demo(
    kind: str,
    index: int,
    marketplace: str,
    family_code: str,
    siret: str,
    answers: dict,
    occurred_on: str,
    description: str,
) -> int:
    """One demo report of ``family_code`` with these answers, through the intake (once: 1 if created)."""
    key = uuid.uuid5(DEMO_NAMESPACE, f"{kind}-{index}")
    if Report.objects.filter(idempotency_key=key).exists():
        return 0
    email = f"vendeur-{kind}{index}@exemple.fr"
    steps = demo_steps(marketplace, ProblemFamily.objects.get(code=family_code), siret, email, occurred_on)
    steps[f"details.{family_code}"].update(answers)
    steps["description"] = {"description": description}
    draft = ReportDraft.objects.create(submit_key=key, email_verified=email, steps=steps)
    intake.submit_draft(draft.pk, key, ip=f"demo-{kind}-{index}", notify=False)
    return 1


# Sellers who report, in the "terms changed without notice" family, a change of Amazon's seller terms in
# March 2024 announced by e-mail a week before it applied. Fictitious: they show agents the sellers' notices
# queue of the terms observatory (/gestion/conditions/avis-vendeurs/), which suggests the version of Amazon's
# terms recorded on 18 March 2024 when the Open Terms Archive corpus is loaded. Never linked automatically.
TERMS_DEMO = [
    (
        "83100000500015",
        {
            "change_topic": "data",
            "change_announced_on": "2024-03-13",
            "change_effective_on": "2024-03-20",
            "change_medium": "email",
            "adaptation_needed": "no",
        },
    ),
    (
        "83100791900010",
        {
            "change_topic": "fees",
            "change_announced_on": "2024-03-13",
            "change_effective_on": "2024-03-20",
            "change_medium": "seller_space",
            "adaptation_needed": "yes",
        },
    ),
    (
        "83101583900010",
        {
            "change_topic": "other",
            "change_announced_on": "",
            "change_effective_on": "2024-03-18",
            "change_medium": "found_myself",
            "adaptation_needed": "no",
        },
    ),
]


def create_demo_terms_reports() -> int:
    description = (
        "Signalement de démonstration : Amazon a modifié ses conditions des vendeurs en mars 2024 ; le "
        "courriel d'annonce est arrivé une semaine seulement avant l'application."
    )
    return sum(
        _submit_demo("terms", index, "amazon", "TCCHG", siret, answers, answers["change_effective_on"], description)
        for index, (siret, answers) in enumerate(TERMS_DEMO)
    )
