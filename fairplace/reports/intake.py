"""The reporting wizard as services: steps, draft validation, e-mail code, submission.

Views stay thin: they bind a step's form, store what was typed with ``save_step`` and call
``submit_draft`` at the end. The final step validates the whole draft again, server-side.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fairplace.core import ratelimit
from fairplace.core.adapters.company_search import CompanyLookupError, get_company_search_client
from fairplace.core.errors import DomainError
from fairplace.core.identifiers import siren_of
from fairplace.core.outbox import enqueue_email
from fairplace.platforms.queries import marketplace_by_slug

from . import forms
from .events import record_event
from .models import Attachment, ProblemFamily, Report, ReportDraft, SellerContact, family_by_code
from .questions import build_form_class, to_json
from .states import ReportState

CODE_TTL = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
TRACKING_SALT = "fairplace.reports.tracking"
TRACKING_MAX_AGE = 90 * 86400
REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


class IntakeError(DomainError):
    """A domain error whose message is shown to the seller as is."""

    def __init__(self, message: str, step: str | None = None):
        super().__init__(message)
        self.step = step


@dataclass(frozen=True)
class Step:
    key: str
    title: str


STEPS = [
    Step("plateforme", gettext_lazy("La place de marché")),
    Step("probleme", gettext_lazy("Le problème")),
    Step("details", gettext_lazy("Les détails du problème")),
    Step("description", gettext_lazy("Description et pièces jointes")),
    Step("entreprise", gettext_lazy("Votre entreprise")),
    Step("contact", gettext_lazy("Vos coordonnées")),
    Step("choix", gettext_lazy("Ce que nous pouvons faire de votre signalement")),
    Step("recapitulatif", gettext_lazy("Vérification et envoi")),
]
STEP_KEYS = [step.key for step in STEPS]
STORED_FORMS = {
    "plateforme": forms.MarketplaceForm,
    "probleme": forms.FamilyForm,
    "description": forms.DescriptionForm,
    "entreprise": forms.CompanyForm,
    "contact": forms.ContactForm,
    "choix": forms.ConsentForm,
}


def chosen_family(draft: ReportDraft) -> ProblemFamily | None:
    code = (draft.steps.get("probleme") or {}).get("family")
    return family_by_code(code) if code else None


def storage_key(draft: ReportDraft, step: str, family: ProblemFamily | None = None) -> str:
    # Answers are kept per family: a seller who switches family and back finds them again.
    if step == "details":
        family = family or chosen_family(draft)
        return f"details.{family.code if family else ''}"
    return step


def form_class(draft: ReportDraft, step: str, family: ProblemFamily | None = None):
    if step == "details":
        family = family or chosen_family(draft)
        return build_form_class(family.questions) if family else None
    return STORED_FORMS.get(step)


def typed_values(form_cls, data) -> dict:
    """What the seller typed for this form's fields, as strings (kept even when invalid)."""
    return {name: data.get(name, "") for name in form_cls.base_fields}


def save_step(draft: ReportDraft, step: str, data) -> None:
    cls = form_class(draft, step)
    if cls is None:
        return
    draft.steps[storage_key(draft, step)] = typed_values(cls, data)
    draft.save(update_fields=["steps", "updated_at"])


def bound_form(draft: ReportDraft, step: str, family: ProblemFamily | None = None):
    cls = form_class(draft, step, family)
    values = draft.steps.get(storage_key(draft, step, family))
    return cls(data=values) if cls is not None and values is not None else None


def fill_company(draft: ReportDraft, siret: str) -> tuple[bool, str]:
    """Merge what the company-search API knows of ``siret`` into the company step (what the seller typed
    elsewhere on the step is kept). Returns (found and active, the French message for the seller); when the
    API fails, the seller types the company by hand."""
    values = dict(draft.steps.get("entreprise") or {}, siret=siret)
    try:
        company = get_company_search_client().lookup_siret(siret)
    except CompanyLookupError as exc:
        values["company_source"] = "manual"
        outcome = (False, exc.message)
    else:
        values.update(
            company_name=company.name, naf_code=company.naf_code, company_size=company.size_band, company_source="api"
        )
        outcome = (
            (True, _("Entreprise trouvée : vérifiez les informations ci-dessous."))
            if company.is_active
            else (False, _("Cet établissement est indiqué comme fermé. Vérifiez le numéro SIRET."))
        )
    draft.steps["entreprise"] = values
    draft.save(update_fields=["steps", "updated_at"])
    return outcome


def first_incomplete_step(draft: ReportDraft | None) -> str:
    """The first step whose stored answers do not validate; "recapitulatif" when all do."""
    if draft is None:
        return STEP_KEYS[0]
    try:
        validate_draft(draft)
    except IntakeError as exc:
        return exc.step
    return "recapitulatif"


def validate_draft(draft: ReportDraft) -> dict:
    """Every step's cleaned data, or IntakeError naming the first step to fix."""
    family = chosen_family(draft)
    cleaned = {}
    for step in STEP_KEYS[:-1]:
        form = bound_form(draft, step, family)
        if form is None or not form.is_valid():
            raise IntakeError(_("Une étape du formulaire est incomplète."), step=step)
        cleaned[step] = form.cleaned_data
        if step == "contact" and draft.email_verified != form.cleaned_data["email"]:
            raise IntakeError(_("Confirmez votre adresse électronique avec le code reçu."), step="contact")
    cleaned["family"] = family
    return cleaned


# E-mail confirmation -------------------------------------------------------------------


def _code_hash(draft: ReportDraft, email: str, code: str) -> str:
    return salted_hmac("fairplace.reports.email-code", f"{draft.pk}:{email}:{code}").hexdigest()


def send_email_code(draft: ReportDraft, email: str, *, ip: str) -> None:
    ratelimit.hit("code_ip", ip)
    ratelimit.hit("code_email", email)
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        draft.email_code_for = email
        draft.email_code_hash = _code_hash(draft, email, code)
        draft.email_code_expires_at = timezone.now() + CODE_TTL
        draft.email_code_attempts = 0
        draft.save(
            update_fields=[
                "email_code_for",
                "email_code_hash",
                "email_code_expires_at",
                "email_code_attempts",
                "updated_at",
            ]
        )
        enqueue_email(to=email, template="email_code", context={"code": code, "minutes": 15})


def verify_email_code(draft: ReportDraft, code: str) -> None:
    if not draft.email_code_hash or draft.email_code_expires_at < timezone.now():
        raise IntakeError(_("Ce code a expiré. Demandez un nouveau code."))
    if draft.email_code_attempts >= CODE_MAX_ATTEMPTS:
        raise IntakeError(_("Trop d'essais avec ce code. Demandez un nouveau code."))
    if not constant_time_compare(draft.email_code_hash, _code_hash(draft, draft.email_code_for, code)):
        ReportDraft.objects.filter(pk=draft.pk).update(email_code_attempts=draft.email_code_attempts + 1)
        draft.email_code_attempts += 1
        remaining = CODE_MAX_ATTEMPTS - draft.email_code_attempts
        raise IntakeError(_("Ce code n'est pas le bon. Il vous reste %(n)d essai(s).") % {"n": remaining})
    draft.email_verified = draft.email_code_for
    draft.email_code_hash = ""
    draft.save(update_fields=["email_verified", "email_code_hash", "updated_at"])


# Submission ----------------------------------------------------------------------------


def new_reference() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))
    return f"FP-{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def tracking_token(contact: SellerContact) -> str:
    return signing.dumps(contact.pk, salt=TRACKING_SALT, compress=True)


def contact_from_token(token: str) -> SellerContact | None:
    try:
        pk = signing.loads(token, salt=TRACKING_SALT, max_age=TRACKING_MAX_AGE)
    except signing.BadSignature:
        return None
    return SellerContact.objects.filter(pk=pk).first()


def tracking_url(contact: SellerContact) -> str:
    return settings.FAIRPLACE_PUBLIC_URL + reverse("reports:tracking", args=[tracking_token(contact)])


def submit_draft(draft_id, submit_key, *, ip: str, notify: bool = True) -> Report:
    """Turn a complete draft into one report. Submitting the same draft again (double
    click, browser retry, two tabs) returns the report created the first time."""
    try:
        with transaction.atomic():
            draft = ReportDraft.objects.select_for_update().filter(pk=draft_id).first()
            if draft is None:  # purged since: a replay of a submission finds its report
                existing = Report.objects.filter(idempotency_key=submit_key).first()
                if existing:
                    return existing
                raise IntakeError(_("Ce formulaire a expiré. Recommencez votre signalement."))
            if str(draft.submit_key) != str(submit_key):
                raise IntakeError(_("Ce formulaire a déjà été envoyé ou a expiré. Vérifiez le récapitulatif."))
            if draft.report_id:
                return draft.report
            return _create_report(draft, validate_draft(draft), ip=ip, notify=notify)
    except IntegrityError:
        # A concurrent request with the same key won the race: its report is the one.
        return Report.objects.get(idempotency_key=submit_key)


def _seller_contact(email: str) -> SellerContact:
    # One statement whether the address is new or known, safe against a second tab
    # submitting at the same moment (PostgreSQL and SQLite >= 3.35).
    table = connection.ops.quote_name(SellerContact._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (email, created_at) VALUES (%s, %s) "  # noqa: S608 - table name only
            "ON CONFLICT (email) DO UPDATE SET email = EXCLUDED.email RETURNING id",
            [email, connection.ops.adapt_datetimefield_value(timezone.now())],
        )
        return SellerContact(pk=cursor.fetchone()[0], email=email)


def _create_report(draft: ReportDraft, cleaned: dict, *, ip: str, notify: bool) -> Report:
    company, contact_data = cleaned["entreprise"], cleaned["contact"]
    place, family = cleaned["plateforme"], cleaned["family"]
    answers = to_json(cleaned["details"])
    contact = _seller_contact(contact_data["email"])
    now = timezone.now()
    report = Report.objects.create(
        reference=new_reference(),
        idempotency_key=draft.submit_key,
        state=ReportState.SUBMITTED,
        marketplace=marketplace_by_slug(place["marketplace"]),
        marketplace_other_name=place["other_name"],
        marketplace_other_url=place["other_url"] or "",
        family=family,
        answers=answers,
        occurred_on=cleaned["details"].get("occurred_on"),
        description=cleaned["description"]["description"],
        siret=company["siret"],
        siren=siren_of(company["siret"]),
        company_name=company["company_name"],
        company_size=company["company_size"],
        naf_code=company["naf_code"],
        naf_version="NAFRev2" if company["naf_code"] else "",
        company_source=company["company_source"],
        contact=contact,
        contact_first_name=contact_data["first_name"],
        contact_last_name=contact_data["last_name"],
        contact_email=contact_data["email"],
        contact_phone=contact_data["phone"],
        consent=cleaned["choix"]["consent"],
        submitted_at=now,
    )
    attached = Attachment.objects.filter(draft=draft).update(report=report)
    record_event(
        report,
        "report.submitted",
        actor_kind="seller",
        prev_hash="",
        payload={
            "family": family.code,
            "consent": report.consent,
            "marketplace": report.marketplace.slug if report.marketplace_id else None,
            "attachments": attached,
            "ip_hash": hashlib.sha256(f"{settings.SECRET_KEY}:{ip}".encode()).hexdigest()[:16],
        },
    )
    draft.report = report
    draft.save(update_fields=["report", "updated_at"])
    if notify:
        enqueue_email(
            to=report.contact_email,
            template="report_receipt",
            dedup_key=f"receipt:{report.pk}",
            context={
                "report": report,
                "family": family,
                "tracking_url": tracking_url(contact),
                "consent_label": report.get_consent_display(),
                "attachments": attached,
            },
        )
    # Counted last, in the same transaction: a refusal rolls everything back, and the
    # counter rows (shared by every submission from one address) stay locked briefly.
    ratelimit.hit("submit_ip", ip)
    ratelimit.hit("submit_siret", company["siret"])
    return report
