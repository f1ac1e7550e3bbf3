"""The header's entries come from the apps' registrations: each persona sees its own, in order."""

import re

import pytest

from ..conftest import login_as

pytestmark = pytest.mark.django_db


def _header(client) -> list[str]:
    page = client.get("/").content.decode()
    tools = page.split('class="fr-header__tools-links"', 1)[1].split("</ul>", 1)[0]
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r'class="fr-btn [^"]*"[^>]*>([^<]+)</a>', tools)]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        (None, ["Baromètre", "Frais des places de marché", "Signaler un problème", "Suivre mes signalements"]),
        (
            "agent",
            [
                "Baromètre",
                "Frais des places de marché",
                "Signalements à traiter",
                "Grilles tarifaires",
                "Conditions suivies",
                "agent@fairplace.test",
            ],
        ),
        (
            "supervisor",
            [
                "Baromètre",
                "Frais des places de marché",
                "Signalements à traiter",
                "Grilles tarifaires",
                "Conditions suivies",
                "Éditions du baromètre",
                "superviseur@fairplace.test",
            ],
        ),
        (
            "administrator",
            [
                "Baromètre",
                "Frais des places de marché",
                "Signalements à traiter",
                "Grilles tarifaires",
                "Conditions suivies",
                "Éditions du baromètre",
                "Tâches de fond",
                "admin@fairplace.test",
            ],
        ),
        (
            "platform_a",
            [
                "Baromètre",
                "Frais des places de marché",
                "Espace plateforme",
                "Relecture du baromètre",
                "rep@cdiscount.test",
            ],
        ),
        ("mediator", ["Baromètre", "Frais des places de marché", "Dossiers de médiation", "mediateur@fairplace.test"]),
    ],
)
def test_each_persona_sees_its_own_entries(client, personas, persona, expected):
    if persona:
        login_as(client, personas, persona)
    header = _header(client)
    assert header == expected
