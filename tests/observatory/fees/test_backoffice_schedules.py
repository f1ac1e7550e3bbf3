"""Back office of the fee schedules (/gestion/frais/): list, detail, typing a schedule, import."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from fairplace.observatory.fees.models import FeeComponent, FeeImport, FeeSchedule
from fairplace.platforms.models import Marketplace
from tests.conftest import login_as

from .test_import import GOOD_ROWS, csv_bytes, line

pytestmark = pytest.mark.django_db

PAGES = [
    "fees_backoffice:schedules",
    "fees_backoffice:create",
    "fees_backoffice:import",
    "fees_backoffice:import_template",
]


@pytest.fixture
def agent_client(client, personas, fee_taxonomy):
    return login_as(client, personas, "agent")


def management(total=8):
    prefix = "composantes"
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def header(**values):
    data = {
        "marketplace": str(Marketplace.objects.get(slug="fnac").pk),
        "effective_on": "2025-06-01",
        "announced_on": "10/05/2025",
        "observed_on": "2025-05-12",
        "source_url": "https://www.fnac.com/tarifs",
        "source_document": "",
        "reliability": "primary",
        "notes": "Saisie de test",
    }
    return {**data, **values}


def row(number, **values):
    """Component row ``number`` (from 0) of the formset, with the untouched defaults."""
    data = {
        "kind": "",
        "plan": "",
        "platform_category": "",
        "category": "",
        "rate": "",
        "amount": "",
        "base": "incl_vat",
        "includes_shipping": "oui",
        "min_per_item": "",
        "max_per_item": "",
        "price_from": "",
        "price_to": "",
        "tier_mode": "",
        "reliability": "",
        "notes": "",
    }
    return {f"composantes-{number}-{key}": value for key, value in {**data, **values}.items()}


def filled_post(*rows, **head):
    data = {**management(), **header(**head)}
    for number in range(8):
        data.update(row(number))
    for number, values in enumerate(rows):
        data.update(row(number, **values))
    return data


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("agent", 200),
        ("supervisor", 200),
        ("administrator", 200),
        ("no_role", 403),
        ("platform_a", 403),
        ("mediator", 403),
    ],
)
def test_pages_are_for_the_observatory_only(client, personas, name, persona, status):
    login_as(client, personas, persona)
    assert client.get(reverse(name)).status_code == status


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, db, name):
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login"))


def test_a_schedule_page_is_for_the_observatory_only(client, personas, fee_seed):
    schedule = FeeSchedule.objects.get(marketplace__slug="ebay")
    url = reverse("fees_backoffice:schedule", args=[schedule.pk])
    assert client.get(url).status_code == 302
    for persona, status in (("platform_a", 403), ("no_role", 403), ("agent", 200)):
        login_as(client, personas, persona)
        assert client.get(url).status_code == status
    assert client.get(reverse("fees_backoffice:schedule", args=[999999])).status_code == 404


# --- List and detail ------------------------------------------------------------------------


def test_the_list_shows_each_marketplace_s_schedules(agent_client, fee_seed):
    response = agent_client.get(reverse("fees_backoffice:schedules"))
    text = response.content.decode()
    for name in ("Amazon", "Cdiscount", "Fnac", "Rakuten France", "ManoMano", "eBay"):
        assert f">{name}</h2>" in text
    assert text.count("Référence initiale") == 7
    assert "15/12/2024" in text and "préavis inconnu" in text
    amazon = agent_client.get(reverse("fees_backoffice:schedules"), {"place": "amazon"}).content.decode()
    assert "15/12/2024" in amazon and ">Amazon</h2>" in amazon and ">Cdiscount</h2>" not in amazon


def test_a_schedule_shows_its_components_by_kind_and_its_import(agent_client, fee_seed):
    schedule = FeeSchedule.objects.get(marketplace__slug="amazon", effective_on="2024-12-15")
    text = agent_client.get(reverse("fees_backoffice:schedule", args=[schedule.pk])).content.decode()
    assert (
        text.index("Abonnement mensuel")
        < text.index("Commission sur les ventes")
        < text.index("Frais fixes par article vendu")
    )
    assert "Toutes les autres catégories" in text
    assert "5\u00a0%" in text and "0,30\u00a0€" in text and "jusqu'à 15\u00a0€" in text.replace("&#x27;", "'")
    assert "inconnu" in text
    assert "seed_schedules.csv" in text
    assert "Grille du 01/04/2020" in text  # the other version


# --- Typing a schedule in -------------------------------------------------------------------


def test_a_typed_schedule_is_recorded_with_its_components(agent_client, personas):
    data = filled_post(
        {"kind": "subscription", "plan": "Standard", "amount": "39,99"},
        {"kind": "commission", "platform_category": "Tout", "rate": "15,5", "min_per_item": "0,30"},
        {
            "kind": "commission",
            "category": str(_category("mode")),
            "rate": "7",
            "price_from": "0",
            "price_to": "15",
            "tier_mode": "band",
        },
        {
            "kind": "commission",
            "category": str(_category("mode")),
            "rate": "12",
            "price_from": "15",
            "tier_mode": "band",
            "includes_shipping": "non",
        },
    )
    response = agent_client.post(reverse("fees_backoffice:create"), data)

    schedule = FeeSchedule.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("fees_backoffice:schedule", args=[schedule.pk])
    assert (str(schedule.announced_on), schedule.notice_days, schedule.created_by, schedule.is_seed) == (
        "2025-05-10",
        22,
        personas["agent"],
        False,
    )
    assert schedule.components.count() == 4
    assert str(schedule.components.get(kind="commission", category=None).rate) == "15.500"
    assert schedule.components.get(price_from=15).includes_shipping is False
    assert not FeeImport.objects.exists()


def _category(code):
    from fairplace.observatory.fees.models import FeeCategory

    return FeeCategory.objects.get(code=code).pk


def test_a_wrong_schedule_is_refused_with_422_keeping_what_was_typed(agent_client):
    data = filled_post(
        {"kind": "subscription", "plan": "Standard", "amount": "39,99"},
        {"kind": "commission", "platform_category": "Catégorie mystère"},  # no rate, no notes
        {"kind": "commission", "platform_category": "Tout", "rate": "150"},  # over 100
        {"plan": "oublié"},  # no kind
        {"kind": "subscription", "plan": "standard", "amount": "10"},  # duplicate of row 1
        observed_on="2099-01-01",
        source_url="",
    )
    response = agent_client.post(reverse("fees_backoffice:create"), data)

    assert response.status_code == 422
    text = response.content.decode().replace("&#x27;", "'")
    assert "Catégorie mystère" in text and "39,99" in text and "oublié" in text and "Saisie de test" in text
    assert "La date de relevé est dans le futur." in text
    assert "Source manquante" in text
    assert "Ligne 2, taux (%) : Taux manquant" in text
    assert "Ligne 3, taux (%) : Taux supérieur à 100 %." in text
    assert "Ligne 4, type de frais : Choisissez le type de frais" in text
    assert FeeSchedule.objects.count() == 0 and FeeComponent.objects.count() == 0


def test_duplicate_rows_in_the_form_name_the_row_they_repeat(agent_client):
    data = filled_post(
        {"kind": "subscription", "plan": "Standard", "amount": "39,99"},
        {"kind": "subscription", "plan": "standard", "amount": "10"},
    )
    response = agent_client.post(reverse("fees_backoffice:create"), data)
    assert response.status_code == 422
    assert "Ligne en double (identique à la ligne 1)." in response.content.decode()
    assert FeeSchedule.objects.count() == 0


def test_an_empty_schedule_or_an_existing_one_is_refused(agent_client, fee_seed):
    response = agent_client.post(reverse("fees_backoffice:create"), filled_post())
    assert response.status_code == 422
    assert "Saisissez au moins une composante." in response.content.decode()

    before = FeeSchedule.objects.count()
    response = agent_client.post(
        reverse("fees_backoffice:create"),
        filled_post({"kind": "subscription", "amount": "1"}, effective_on="2021-01-01"),
    )
    assert response.status_code == 422
    assert "Une grille de Fnac existe déjà à la date d&#x27;effet du 01/01/2021." in response.content.decode()
    assert FeeSchedule.objects.count() == before


# --- Import ---------------------------------------------------------------------------------


def upload(data, name="grilles.csv"):
    return SimpleUploadedFile(name, data, content_type="text/csv")


def test_a_good_file_is_imported_and_its_schedules_listed(agent_client, personas):
    response = agent_client.post(reverse("fees_backoffice:import"), {"file": upload(csv_bytes(GOOD_ROWS))})

    assert response.status_code == 200
    text = response.content.decode()
    assert "2 grilles enregistrées" in text
    for schedule in FeeSchedule.objects.all():
        assert reverse("fees_backoffice:schedule", args=[schedule.pk]) in text
    attempt = FeeImport.objects.get()
    assert attempt.succeeded and attempt.imported_by == personas["agent"] and attempt.filename == "grilles.csv"


def test_a_wrong_file_lists_every_error_and_saves_nothing(agent_client):
    rows = [
        line(composante="abonnement", montant="39"),
        line(composante="commission", taux="abc"),
        line(composante="commission", categories_communes="fusees", taux="5"),
    ]
    response = agent_client.post(reverse("fees_backoffice:import"), {"file": upload(csv_bytes(rows))})

    assert response.status_code == 422
    text = response.content.decode()
    assert "Le fichier contient 2 erreurs : rien n'a été enregistré." in text
    assert "<td>3</td><td><code>taux</code></td><td>nombre invalide : « abc »</td>" in text
    assert "<td>4</td><td><code>categories_communes</code></td><td>code inconnu : fusees</td>" in text
    assert FeeSchedule.objects.count() == 0 and FeeComponent.objects.count() == 0
    assert FeeImport.objects.get().succeeded is False


def test_posting_without_a_file_is_422(agent_client):
    response = agent_client.post(reverse("fees_backoffice:import"), {})
    assert response.status_code == 422
    assert "Choisissez un fichier." in response.content.decode()


def test_the_template_file_round_trips_through_the_import_page(agent_client):
    response = agent_client.get(reverse("fees_backoffice:import_template"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    content = response.content
    assert content.startswith("\ufeff".encode()) and b"place_de_marche;date_effet" in content

    response = agent_client.post(reverse("fees_backoffice:import"), {"file": upload(content, "modele.csv")})
    assert response.status_code == 200, response.content.decode()
    assert FeeSchedule.objects.get().components.count() == 3


def test_the_import_page_shows_the_recent_attempts(agent_client):
    agent_client.post(reverse("fees_backoffice:import"), {"file": upload(io.BytesIO(b"").read() or b";")})
    text = agent_client.get(reverse("fees_backoffice:import")).content.decode()
    assert "Derniers imports" in text and "1 erreur" in text


# --- Admin ------------------------------------------------------------------------------------


def test_the_admin_shows_schedules_read_only_except_their_source_and_notes(client, personas, fee_seed):
    login_as(client, personas, "administrator")
    schedule = FeeSchedule.objects.get(marketplace__slug="cdiscount")
    for url in (
        "/admin/fees/feeschedule/",
        "/admin/fees/feeimport/",
        "/admin/fees/feecategory/",
        f"/admin/fees/feeschedule/{schedule.pk}/change/",
        f"/admin/fees/feeimport/{FeeImport.objects.get().pk}/change/",
    ):
        assert client.get(url).status_code == 200, url
    assert client.get("/admin/fees/feeschedule/add/").status_code == 403
    assert client.get(f"/admin/fees/feeschedule/{schedule.pk}/delete/").status_code == 403
    response = client.get(f"/admin/fees/feeschedule/{schedule.pk}/change/")
    assert b'name="notes"' in response.content and b'name="effective_on"' not in response.content
