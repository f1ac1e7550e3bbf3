"""The charter registry: loader, statuses across charters, admin with history and permissions."""

import json
from datetime import date
from io import StringIO

import pytest
import yaml
from django.core.management import call_command
from django.db.models import Count

from fairplace.barometer import charters
from fairplace.barometer.charters import CharterDataError, load_charters
from fairplace.barometer.history import record_revision
from fairplace.barometer.models import Charter, Commitment, RegistryRevision, Signature
from fairplace.core.models import Role
from fairplace.platforms.models import Marketplace
from tests.conftest import login_as, login_verified

pytestmark = pytest.mark.django_db

PLATFORMS_2019 = {
    "Boulanger",
    "Cdiscount",
    "Conforama",
    "eBay",
    "Fnac Darty",
    "La Redoute",
    "leboncoin",
    "ManoMano",
    "Rakuten",
}


@pytest.fixture
def loaded(reference_data):
    return load_charters()


def _id(slug):
    return Marketplace.objects.get(slug=slug).id


def _row_counts():
    return (
        Charter.objects.count(),
        Commitment.objects.count(),
        Signature.objects.count(),
        RegistryRevision.objects.count(),
    )


def _write(tmp_path, document) -> object:
    path = tmp_path / "charters.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _document():
    return yaml.safe_load(charters.DATA_FILE.read_text(encoding="utf-8"))


# --- Loader -----------------------------------------------------------------------------------


def test_loads_both_charters_and_is_idempotent(loaded):
    assert loaded["charters"] == {"created": 2, "updated": 0, "unchanged": 0, "kept": 0}
    assert loaded["commitments"]["created"] == 22
    revisions = RegistryRevision.objects.count()
    assert revisions == 2 + 22 + Signature.objects.count()  # one "created" revision per row, no user
    assert not RegistryRevision.objects.exclude(changed_by=None).exists()

    again = load_charters()
    assert again["charters"] == {"created": 0, "updated": 0, "unchanged": 2, "kept": 0}
    assert again["commitments"] == {"created": 0, "updated": 0, "unchanged": 22, "kept": 0}
    assert again["signatures"]["created"] == again["signatures"]["updated"] == 0
    assert RegistryRevision.objects.count() == revisions  # nothing changed, nothing recorded
    renewal = Charter.objects.get(code="charte-2020")
    assert renewal.previous.code == "charte-2019"
    assert renewal.adopted_on == date(2020, 12, 7)


def test_2019_charter_signatories_and_refusals(loaded):
    charter = Charter.objects.get(code="charte-2019")
    assert charter.adopted_on == date(2019, 3, 26)
    signed = charter.signatures.filter(status=Signature.Status.SIGNED)
    assert set(signed.exclude(marketplace=None).values_list("signatory_name", flat=True)) == PLATFORMS_2019
    assert set(signed.filter(marketplace=None).values_list("signatory_name", flat=True)) == {"CPME", "Fevad"}
    refused = charter.signatures.filter(status=Signature.Status.REFUSED)
    assert set(refused.values_list("marketplace__slug", flat=True)) == {"amazon", "alibaba"}
    # Fnac Darty signed once, for its two marketplaces.
    assert set(signed.filter(signatory_name="Fnac Darty").values_list("marketplace__slug", flat=True)) == {
        "fnac",
        "darty",
    }
    # Every signature shows its sources, each with a reliability and a date key.
    for signature in charter.signatures.all():
        assert signature.sources, signature
        assert all(source["reliability"] in charters.RELIABILITIES and "date" in source for source in signature.sources)


def test_2020_renewal_amazon_and_certideal(loaded):
    renewal = Charter.objects.get(code="charte-2020")
    amazon = renewal.signatures.get(marketplace__slug="amazon")
    assert (amazon.status, amazon.date) == (Signature.Status.SIGNED, date(2020, 12, 7))
    certideal = renewal.signatures.get(signatory_name="Certideal")
    assert certideal.marketplace is None and certideal.status == Signature.Status.SIGNED
    assert {"amazon", "ldlc", "back-market"} <= set(renewal.signatures.values_list("marketplace__slug", flat=True))
    assert "cinquième n'est pas nommée" in renewal.summary  # the unknown fifth platform is said, not invented
    # Commitments carried over from 2019, flagged "à vérifier".
    assert renewal.commitments.count() == 11
    assert all(commitment.sources[0]["reliability"] == "à vérifier" for commitment in renewal.commitments.all())


def test_commitments_are_linked_to_indicators(loaded):
    charter = Charter.objects.get(code="charte-2019")
    by_code = {commitment.code: commitment for commitment in charter.commitments.all()}
    assert by_code["mediation"].indicator_codes == ["mediation_referrals", "mediation_agreement"]
    assert set(by_code["dereferencement"].indicator_codes) == {"statement_of_reasons_in_time", "termination_notice_30d"}
    assert set(by_code["echange-deux-sens"].indicator_codes) == {
        "answered_in_time",
        "time_to_answer",
        "answer_satisfactory",
        "action_confirmed",
    }
    counterfeit = [c for c in charter.commitments.all() if c.axis_number == 3]
    assert len(counterfeit) == 2 and all(c.indicator_codes == [] for c in counterfeit)
    assert all(charters.indicators_of(c) == [] for c in counterfeit)
    assert charters.NO_INDICATOR == "pas encore d'indicateur"
    assert [i.code for i in charters.indicators_of(by_code["mediation"])] == [
        "mediation_referrals",
        "mediation_agreement",
    ]
    # Every commitment has French and English texts and at least one source.
    assert all(c.text and c.text_en and c.sources for c in Commitment.objects.all())


def test_reload_updates_a_changed_row_and_records_it(loaded, tmp_path):
    document = _document()
    document["charters"][0]["commitments"][0]["text_en"] = "Clear contracts."
    load_charters(_write(tmp_path, document))
    commitment = Commitment.objects.get(charter__code="charte-2019", code="documents-clairs")
    assert commitment.text_en == "Clear contracts."
    revision = RegistryRevision.objects.filter(object_type="barometer.commitment", action="updated").get()
    assert revision.changed_fields == ["text_en"]
    assert revision.object_id == str(commitment.pk)
    assert revision.changed_by is None


@pytest.mark.parametrize(
    "break_it, message",
    [
        (
            lambda d: d["charters"][1]["signatures"].append(
                {
                    "marketplace": "nowhere-market",
                    "signatory_name": "X",
                    "status": "signed",
                    "date": "2020-12-07",
                    "sources": [{"label": "s", "reliability": "primaire", "date": "2020"}],
                }
            ),
            "« nowhere-market » inconnue",
        ),
        (
            lambda d: d["charters"][0]["commitments"][2]["indicators"].append("mediation_speed"),
            "indicateur « mediation_speed » inconnu",
        ),
        (lambda d: d["charters"][0]["signatures"][0].update(status="maybe"), "statut « maybe » inconnu"),
        (lambda d: d["charters"][0]["sources"][0].update(reliability="sûre"), "fiabilité « sûre » inconnue"),
        (lambda d: d["charters"][0]["commitments"][1].update(number=1), "numéro 1 en double"),
        (lambda d: d["charters"][0]["commitments"][0].pop("text_en"), "clé(s) manquante(s) text_en"),
        (lambda d: d["charters"][1].update(previous="charte-2030"), "version précédente « charte-2030 »"),
    ],
)
def test_bad_file_raises_and_changes_nothing(loaded, tmp_path, break_it, message):
    document = _document()
    document["charters"][0]["title_en"] = "Changed title"  # a valid change that must not be written
    break_it(document)
    before = _row_counts()
    with pytest.raises(CharterDataError) as error:
        load_charters(_write(tmp_path, document))
    assert message in error.value.message
    assert _row_counts() == before
    assert Charter.objects.get(code="charte-2019").title_en == "E-commerce Players' Charter"


def test_bad_file_on_an_empty_database_writes_nothing(reference_data, tmp_path):
    document = _document()
    document["charters"][1]["commitments"][0]["indicators"] = ["no_such_indicator"]
    with pytest.raises(CharterDataError):
        load_charters(_write(tmp_path, document))
    assert _row_counts() == (0, 0, 0, 0)


def test_command_prints_a_french_summary(reference_data):
    out = StringIO()
    call_command("load_barometer_reference", stdout=out)
    assert "Chartes : 2 créé(s), 0 mis à jour, 0 inchangé(s)" in out.getvalue()
    assert "Engagements : 22 créé(s)" in out.getvalue()


# --- Statuses and read functions ------------------------------------------------------------


def test_amazon_refused_then_signed(loaded):
    status = charters.marketplace_charter_status(_id("amazon"))
    assert status["status"] == "signed"
    assert (status["charter"], status["date"]) == ("charte-2020", date(2020, 12, 7))
    assert (status["label"], status["label_en"]) == ("Signataire", "Signatory")
    assert [(event["status"], event["charter"]) for event in status["history"]] == [
        ("refused", "charte-2019"),
        ("signed", "charte-2020"),
    ]
    assert status["history"][0]["label"] == "A refusé de signer"


def test_statuses_of_every_marketplace(loaded):
    statuses = charters.charter_statuses()
    assert set(statuses) == set(Marketplace.objects.filter(is_active=True).values_list("id", flat=True))
    assert statuses[_id("alibaba")]["status"] == "refused"
    assert statuses[_id("alibaba")]["label_en"] == "Refused to sign"
    temu = statuses[_id("temu")]
    assert (temu["status"], temu["charter"], temu["history"]) == ("not_signatory", None, [])
    assert temu["label"] == "Non signataire"
    cdiscount = statuses[_id("cdiscount")]
    assert (cdiscount["status"], cdiscount["charter"]) == ("signed", "charte-2020")
    assert len(cdiscount["history"]) == 2
    assert statuses[_id("amazon")] == charters.marketplace_charter_status(_id("amazon"))


def test_a_withdrawal_is_the_latest_event(loaded):
    renewal = Charter.objects.get(code="charte-2020")
    Signature.objects.create(
        charter=renewal,
        marketplace_id=_id("ldlc"),
        signatory_name="LDLC",
        status=Signature.Status.WITHDRAWN,
        date=date(2023, 5, 2),
    )
    status = charters.marketplace_charter_status(_id("ldlc"))
    assert (status["status"], status["date"], status["label"]) == ("withdrawn", date(2023, 5, 2), "S'est retiré")
    assert [event["status"] for event in status["history"]] == ["signed", "withdrawn"]


def test_charter_list_is_ordered_and_prefetched(loaded, django_assert_num_queries):
    with django_assert_num_queries(3):
        listed = charters.charter_list()
        numbers = [c.number for c in listed[0].commitments.all()]
        names = [s.signatory_name for s in listed[0].signatures.all()]
        slugs = [s.marketplace.slug for s in listed[0].signatures.all() if s.marketplace]
    assert [c.code for c in listed] == ["charte-2019", "charte-2020"]
    assert numbers == list(range(1, 12))
    assert names.index("Amazon") > names.index("Rakuten")  # signed first, then refused
    assert "amazon" in slugs
    axes = charters.commitments_by_axis(listed[0])
    assert [axis["number"] for axis in axes] == [1, 2, 3, None]
    assert [len(axis["commitments"]) for axis in axes] == [4, 3, 2, 2]
    assert axes[2]["title_en"] == "A more agile and effective fight against counterfeiting"


def test_commitments_for_indicator(loaded):
    found = charters.commitments_for_indicator("mediation_agreement")
    assert [(c.charter.code, c.code) for c in found] == [("charte-2019", "mediation"), ("charte-2020", "mediation")]
    assert charters.commitments_for_indicator("unknown_code") == []


# --- History ----------------------------------------------------------------------------------


def test_record_revision_snapshot_and_diff(loaded, personas):
    commitment = Commitment.objects.get(charter__code="charte-2019", code="classement")
    commitment.text = "Nouveau texte."
    commitment.save()
    revision = record_revision(commitment, "updated", personas["administrator"])
    assert revision.changed_fields == ["text"]  # compared with the loader's "created" revision
    assert revision.snapshot["text"] == "Nouveau texte."
    assert revision.snapshot["charter"] == commitment.charter_id
    assert revision.changed_by == personas["administrator"]
    json.dumps(revision.snapshot)  # plain JSON
    with pytest.raises(ValueError):
        record_revision(commitment, "renamed", None)


# --- Admin ------------------------------------------------------------------------------------


def _commitment_post(commitment, **changes):
    data = {
        "charter": commitment.charter_id,
        "number": commitment.number,
        "code": commitment.code,
        "axis_number": commitment.axis_number or "",
        "axis_title": commitment.axis_title,
        "axis_title_en": commitment.axis_title_en,
        "text": commitment.text,
        "text_en": commitment.text_en,
        "indicator_codes": commitment.indicator_codes,
        "sources": json.dumps(commitment.sources),
    }
    data.update(changes)
    return data


def _url(commitment, action="change"):
    return f"/admin/barometer/commitment/{commitment.pk}/{action}/"


def test_administrator_edits_a_commitment_with_history(client, loaded, personas):
    login_as(client, personas, "administrator")
    commitment = Commitment.objects.get(charter__code="charte-2019", code="classement")
    assert client.get(_url(commitment)).status_code == 200
    response = client.post(
        _url(commitment),
        _commitment_post(commitment, text_en="Make ranking rules more robust.", indicator_codes=["family_share"]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    commitment.refresh_from_db()
    assert commitment.indicator_codes == ["family_share"]
    revision = RegistryRevision.objects.filter(
        object_type="barometer.commitment", object_id=str(commitment.pk), action="updated"
    ).get()
    assert revision.changed_fields == ["text_en", "indicator_codes"]
    assert revision.changed_by == personas["administrator"]
    assert revision.snapshot["indicator_codes"] == ["family_share"]
    # The loader (run by every `make run`) keeps the administrator's version.
    counts = load_charters()
    commitment.refresh_from_db()
    assert commitment.indicator_codes == ["family_share"]
    assert counts["commitments"]["kept"] == 1


def test_admin_saving_without_change_records_nothing(client, loaded, personas):
    login_as(client, personas, "administrator")
    commitment = Commitment.objects.get(charter__code="charte-2019", code="classement")
    before = RegistryRevision.objects.count()
    assert client.post(_url(commitment), _commitment_post(commitment)).status_code == 302
    assert RegistryRevision.objects.count() == before


def test_admin_refuses_unknown_indicator_and_bad_sources_in_french(client, loaded, personas):
    login_as(client, personas, "administrator")
    commitment = Commitment.objects.get(charter__code="charte-2019", code="classement")
    response = client.post(
        _url(commitment),
        _commitment_post(
            commitment,
            indicator_codes=["answered_in_time", "mediation_speed"],
            sources=json.dumps([{"label": "x", "reliability": "certaine", "date": "hier"}]),
        ),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "« mediation_speed » n'existe pas dans le registre" in errors["indicator_codes"][0]
    assert any("fiabilité « certaine » inconnue" in error for error in errors["sources"])
    assert any("date « hier » invalide" in error for error in errors["sources"])
    commitment.refresh_from_db()
    assert commitment.indicator_codes == []
    assert not RegistryRevision.objects.filter(action="updated").exists()


def test_administrator_deletes_a_signature_with_history(client, loaded, personas):
    login_as(client, personas, "administrator")
    signature = Signature.objects.get(charter__code="charte-2019", marketplace__slug="alibaba")
    response = client.post(f"/admin/barometer/signature/{signature.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Signature.objects.filter(pk=signature.pk).exists()
    revision = RegistryRevision.objects.get(object_type="barometer.signature", action="deleted")
    assert revision.object_id == str(signature.pk)
    assert revision.snapshot["status"] == "refused"
    assert revision.changed_by == personas["administrator"]


def _inline_post(response) -> dict:
    """The change page of a charter as the browser would post it back (main form + inlines)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        data.update({management.add_prefix(name): value for name, value in management.initial.items()})
        forms += list(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None:
                value = ""
            elif name in ("sources",) and not isinstance(value, str):
                value = json.dumps(value)
            data[form.add_prefix(name)] = value
    return data


def test_inline_edits_are_recorded(client, loaded, personas):
    login_as(client, personas, "administrator")
    charter = Charter.objects.get(code="charte-2019")
    url = f"/admin/barometer/charter/{charter.pk}/change/"
    page = client.get(url)
    data = _inline_post(page)
    # Change one commitment's English text and delete one signature, through the inlines.
    commitment_forms = page.context["inline_admin_formsets"][0].formset.forms
    signature_forms = page.context["inline_admin_formsets"][1].formset.forms
    edited = next(form for form in commitment_forms if form.instance.code == "classement")
    removed = next(form for form in signature_forms if form.instance.signatory_name == "Alibaba")
    data[edited.add_prefix("text_en")] = "More robust ranking rules."
    data[removed.add_prefix("DELETE")] = "on"
    response = client.post(url, data)
    assert response.status_code == 302, [
        f.errors for i in response.context["inline_admin_formsets"] for f in i.formset.forms if f.errors
    ]
    updated = RegistryRevision.objects.get(object_type="barometer.commitment", action="updated")
    assert (updated.object_id, updated.changed_fields) == (str(edited.instance.pk), ["text_en"])
    deleted = RegistryRevision.objects.get(object_type="barometer.signature", action="deleted")
    assert deleted.object_id == str(removed.instance.pk)
    assert not Signature.objects.filter(pk=removed.instance.pk).exists()
    # Nothing else changed: only these two revisions after the loader's.
    assert RegistryRevision.objects.exclude(changed_by=None).count() == 2


def test_deleting_a_charter_records_its_rows(client, loaded, personas):
    login_as(client, personas, "administrator")
    renewal = Charter.objects.get(code="charte-2020")
    rows = renewal.commitments.count() + renewal.signatures.count()
    response = client.post(f"/admin/barometer/charter/{renewal.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    deleted = RegistryRevision.objects.filter(action="deleted")
    assert deleted.count() == rows + 1
    assert deleted.filter(object_type="barometer.charter", object_id=str(renewal.pk)).exists()


def test_other_staff_can_look_but_not_change(client, loaded, personas):
    supervisor = personas["supervisor"]
    supervisor.is_staff = True
    supervisor.save()
    login_verified(client, supervisor)
    commitment = Commitment.objects.get(charter__code="charte-2019", code="classement")
    page = client.get(_url(commitment))
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert client.post(_url(commitment), _commitment_post(commitment, text_en="Nope")).status_code == 403
    assert client.get("/admin/barometer/commitment/add/").status_code == 403
    assert client.post(_url(commitment, "delete"), {"post": "yes"}).status_code == 403
    charter = Charter.objects.get(code="charte-2019")
    assert client.post(f"/admin/barometer/charter/{charter.pk}/delete/", {"post": "yes"}).status_code == 403
    commitment.refresh_from_db()
    assert commitment.text_en != "Nope"
    assert not RegistryRevision.objects.exclude(changed_by=None).exists()


def test_superuser_without_the_role_cannot_change(client, loaded, django_user_model):
    root = django_user_model.objects.create_superuser("root@fairplace.test", "mot-de-passe-de-test-2026")
    login_verified(client, root)
    commitment = Commitment.objects.get(charter__code="charte-2019", code="classement")
    assert client.post(_url(commitment), _commitment_post(commitment, text_en="Nope")).status_code == 403


def test_platform_account_cannot_reach_the_registry(client, loaded, personas):
    platform = personas["platform_a"]
    platform.is_staff = True  # even if made staff by mistake
    platform.save()
    client.force_login(platform)
    assert client.get("/admin/barometer/commitment/").status_code == 403


def test_revisions_are_read_only_even_for_administrators(client, loaded, personas):
    login_as(client, personas, "administrator")
    revision = RegistryRevision.objects.first()
    assert client.get("/admin/barometer/registryrevision/").status_code == 200
    assert client.get("/admin/barometer/registryrevision/add/").status_code == 403
    page = client.get(f"/admin/barometer/registryrevision/{revision.pk}/change/")
    assert page.status_code == 200 and not page.context["has_change_permission"]
    assert (
        client.post(f"/admin/barometer/registryrevision/{revision.pk}/change/", {"object_repr": "x"}).status_code == 403
    )
    assert client.post(f"/admin/barometer/registryrevision/{revision.pk}/delete/", {"post": "yes"}).status_code == 403
    assert RegistryRevision.objects.filter(pk=revision.pk, object_repr=revision.object_repr).exists()


def test_editions_and_replies_are_listed_read_only(client, loaded, personas):
    login_as(client, personas, "administrator")
    assert client.get("/admin/barometer/edition/").status_code == 200
    assert client.get("/admin/barometer/edition/add/").status_code == 403
    assert client.get("/admin/barometer/platformreply/").status_code == 200
    assert client.get("/admin/barometer/platformreply/add/").status_code == 403


def test_administrator_role_is_what_counts(personas):
    from fairplace.barometer.admin import can_edit_registry, can_view_registry

    administrator = personas["administrator"]
    assert administrator.role == Role.ADMINISTRATOR
    assert can_edit_registry(administrator) and can_view_registry(administrator)
    administrator.is_active = False
    assert not can_edit_registry(administrator)
    assert not can_view_registry(personas["platform_a"])


def test_signature_counts_per_charter(loaded):
    counts = dict(Charter.objects.annotate(n=Count("signatures")).values_list("code", "n"))
    assert counts == {"charte-2019": 14, "charte-2020": 14}


def test_admin_pages_render(client, loaded, personas):
    login_as(client, personas, "administrator")
    charter = Charter.objects.get(code="charte-2019")
    for model in (
        "charter",
        "commitment",
        "signature",
        "sellerpopulation",
        "registryrevision",
        "edition",
        "platformreply",
    ):
        assert client.get(f"/admin/barometer/{model}/").status_code == 200, model
    page = client.get(f"/admin/barometer/charter/{charter.pk}/change/")
    assert page.status_code == 200
    assert 'type="checkbox" name="commitments-0-indicator_codes"' in page.content.decode()
    listing = client.get("/admin/barometer/commitment/").content.decode()
    assert "pas encore d&#x27;indicateur" in listing
    revision = RegistryRevision.objects.first()
    assert client.get(f"/admin/barometer/registryrevision/{revision.pk}/change/").status_code == 200
