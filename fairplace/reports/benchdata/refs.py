"""The reference data a generation run draws from: marketplaces (weighted like a real queue),
problem families with answers that validate, and the bench's own agents, mediators and platform
representatives (unusable passwords)."""

from dataclasses import dataclass

from django.contrib.auth import get_user_model

from fairplace.core.models import Role
from fairplace.platforms.models import Marketplace, PlatformRepresentative

from ..demo import example_answers
from ..models import ProblemFamily
from ..questions import build_form_class, to_json
from .sellers import FIRST_NAMES, LAST_NAMES

USER_DOMAIN = "bench.fairplace.test"
# Big marketplaces get most reports; "autre" (not in the registry) a few percent.
MARKETPLACE_WEIGHTS = {
    "amazon": 18,
    "cdiscount": 12,
    "manomano": 7,
    "fnac": 6,
    "rakuten": 6,
    "ebay": 6,
    "leboncoin": 6,
    "vinted": 5,
    "etsy": 4,
    "temu": 4,
    "shein": 3,
    "aliexpress": 3,
    "back-market": 3,
    "zalando": 3,
    "darty": 2,
    "boulanger": 2,
    "la-redoute": 2,
    "conforama": 2,
    "ldlc": 1,
    "alibaba": 1,
}
OTHER_SHARE = 0.03


@dataclass
class Family:
    id: int
    code: str
    answers: dict
    date_questions: tuple


@dataclass
class Refs:
    marketplaces: list  # (id or None, slug)
    marketplace_weights: list
    families: list
    agents: list
    mediators: list
    representatives: dict  # marketplace id -> user id


def _families() -> list[Family]:
    families = []
    for family in ProblemFamily.objects.filter(is_active=True).order_by("position"):
        sample_day = "2025-01-15"
        form = build_form_class(family.questions)(data=example_answers(family.questions, sample_day))
        if not form.is_valid():
            raise RuntimeError(f"example answers of family {family.code} do not validate: {form.errors}")
        answers = to_json(form.cleaned_data)
        date_questions = tuple(
            question["id"]
            for question in family.questions
            if question["type"] == "date" and answers.get(question["id"]) == sample_day
        )
        families.append(Family(family.pk, family.code, answers, date_questions))
    if not families:
        raise RuntimeError("no active problem family: run manage.py load_reference_data first")
    return families


def _bench_users(role: str, count: int, prefix: str) -> list[int]:
    user_model = get_user_model()
    ids = []
    for i in range(count):
        user, created = user_model.objects.get_or_create(
            email=f"{prefix}{i + 1}@{USER_DOMAIN}",
            defaults={
                "role": role,
                "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
                "last_name": LAST_NAMES[(i * 7) % len(LAST_NAMES)],
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        ids.append(user.pk)
    return ids


def _representatives(marketplaces) -> dict:
    user_model = get_user_model()
    reps = {}
    for marketplace in marketplaces:
        user, _created = user_model.objects.get_or_create(
            email=f"rep.{marketplace.slug}@{USER_DOMAIN}", defaults={"role": Role.PLATFORM}
        )
        PlatformRepresentative.objects.get_or_create(user=user, defaults={"marketplace": marketplace})
        reps[marketplace.pk] = user.pk
    return reps


def load_refs() -> Refs:
    marketplaces = list(Marketplace.objects.active().order_by("slug"))
    if not marketplaces:
        raise RuntimeError("no active marketplace: run manage.py load_reference_data first")
    weights = [MARKETPLACE_WEIGHTS.get(m.slug, 1) for m in marketplaces]
    total = sum(weights)
    # "autre" gets OTHER_SHARE of the reports, the registry the rest in proportion.
    weights = [w * (1 - OTHER_SHARE) / total for w in weights] + [OTHER_SHARE]
    return Refs(
        marketplaces=[(m.pk, m.slug) for m in marketplaces] + [(None, "autre")],
        marketplace_weights=weights,
        families=_families(),
        agents=_bench_users(Role.AGENT, 12, "agent"),
        mediators=_bench_users(Role.MEDIATOR, 4, "mediateur"),
        representatives=_representatives(marketplaces),
    )
