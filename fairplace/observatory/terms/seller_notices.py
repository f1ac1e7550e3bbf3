"""Sellers' notices of a change of terms: a seller's report ("La plateforme a changé ses conditions sans
prévenir", family TCCHG) linked by an agent to the recorded version it is about.

The tracker sees when a text changed, not when sellers were told: platforms notify by e-mail or in the
seller space. A seller who reports a change says when it was announced (or that it never was), when it
applied, and may upload the notice. An agent reads it and links it to a version; its dates then count in
that version's notice check (``notices.recheck_notice``).

- ``score_match(report, version, ...)`` (pure) says how well a report fits a version: same marketplace,
  the date of effect the seller gives within ``MATCH_WINDOW_DAYS`` of the version's (stated date of effect,
  or the day the tracker first saw it), the topic the seller names among the clauses that changed;
- ``candidate_reports(version)`` / ``candidate_versions(report)``: the suggestions shown to agents;
- ``link_seller_notice`` and ``withdraw_seller_notice``: the agent's two actions, each rechecking the notice.

Reports are read only through ``reports.queries.terms_change_reports`` (no identity of the seller).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError
from fairplace.reports.queries import terms_change_reports

from .models import ClauseChange, SellerNotice, TermsVersion
from .notices import recheck_notice
from .text.notice import BASIS_STATED_EFFECTIVE

MATCH_WINDOW_DAYS = 45
NOTE_MAX_LENGTH = 2000
PLAUSIBLE_DAYS = 730  # a notification two years before the version is seen is about another version
SUGGESTIONS = 10
# The seller's "Sur quoi portait le changement ?" (families.yaml, TCCHG) → the clause topics of text/topics.py.
TOPIC_OF_CHANGE = {
    "fees": "fees",
    "payment_terms": "payment",
    "ranking": "ranking",
    "data": "data_access",
    "termination_rules": "suspension_termination",
}
SCORE_BASE = 100  # minus one point per day between the seller's date of effect and the version's
SCORE_TOPIC = 20  # the topic the seller names is among the clauses that changed
SCORE_SELLER_TERMS = 5  # the seller terms themselves rather than another tracked document


class SellerNoticeError(DomainError):
    """A link the observatory refuses; ``message`` is French and shown as is."""


def as_date(value) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def version_dates(version: TermsVersion) -> list[date]:
    """The dates a seller's date of effect is compared with: the stated date of effect, first sight."""
    dates = [version.first_seen_at.date()]
    check = getattr(version, "notice", None)
    if check is not None and check.effective_on and check.effective_basis == BASIS_STATED_EFFECTIVE:
        dates.append(check.effective_on)
    return dates


def score_match(report: dict, version: TermsVersion, *, topics=()) -> int | None:
    """How well a TCCHG report (a dict of ``terms_change_reports``) fits a version whose changed clauses carry
    ``topics``; None when it cannot be about it."""
    marketplace_id = version.document.marketplace_id
    if marketplace_id is None or report.get("marketplace_id") != marketplace_id:
        return None
    effective = as_date((report.get("answers") or {}).get("change_effective_on"))
    if effective is None:
        return None
    gap = min(abs((effective - day).days) for day in version_dates(version))
    if gap > MATCH_WINDOW_DAYS:
        return None
    score = SCORE_BASE - gap
    if TOPIC_OF_CHANGE.get((report.get("answers") or {}).get("change_topic")) in set(topics):
        score += SCORE_TOPIC
    if version.document.doc_type == "seller_terms":
        score += SCORE_SELLER_TERMS
    return score


def changed_topics(version_ids) -> dict[int, set]:
    topics: dict[int, set] = {}
    for version_id, values in ClauseChange.objects.filter(version_id__in=list(version_ids), cosmetic=False).values_list(
        "version_id", "topics"
    ):
        topics.setdefault(version_id, set()).update(values or ())
    return topics


@dataclass
class Suggestion:
    score: int
    report: dict = field(default_factory=dict)
    version: TermsVersion | None = None


def candidate_reports(version: TermsVersion, *, limit: int = SUGGESTIONS) -> list[Suggestion]:
    """TCCHG reports about the version's marketplace that may describe it (best first), not yet linked."""
    marketplace_id = version.document.marketplace_id
    if marketplace_id is None:
        return []
    dates = version_dates(version)
    window = (min(dates) - timedelta(days=MATCH_WINDOW_DAYS), max(dates) + timedelta(days=MATCH_WINDOW_DAYS))
    linked = SellerNotice.objects.filter(version=version, withdrawn_at__isnull=True).values("report_id")
    topics = changed_topics([version.pk]).get(version.pk, set())
    suggestions = []
    for report in terms_change_reports(marketplace_id=marketplace_id, exclude_ids=linked, effective_between=window):
        score = score_match(report, version, topics=topics)
        if score is not None:
            suggestions.append(Suggestion(score, report, version))
    suggestions.sort(key=lambda item: (-item.score, -item.report["id"]))
    return suggestions[:limit]


def candidate_versions(report: dict, versions, *, topics: dict | None = None, limit: int = 3) -> list[Suggestion]:
    """Among ``versions`` (changes of the report's marketplace, with ``document`` and ``notice`` loaded),
    the ones the report may describe, best first. ``topics``: ``changed_topics`` of those versions, when
    already read (a page listing many reports reads them once)."""
    versions = [version for version in versions if version.document.marketplace_id == report["marketplace_id"]]
    if topics is None:
        topics = changed_topics([version.pk for version in versions])
    suggestions = []
    for version in versions:
        score = score_match(report, version, topics=topics.get(version.pk, ()))
        if score is not None:
            suggestions.append(Suggestion(score, report, version))
    suggestions.sort(key=lambda item: (-item.score, -item.version.pk))
    return suggestions[:limit]


def report_by_reference(reference: str) -> dict:
    """The TCCHG report with this reference, or a French error."""
    reference = (reference or "").strip().upper()
    found = terms_change_reports(references=[reference]) if reference else []
    if not found:
        raise SellerNoticeError(
            _(
                "Aucun signalement « La plateforme a changé ses conditions sans prévenir » ne "
                "porte la référence %(reference)s (un doublon ou un signalement non recevable "
                "ne compte pas)."
            )
            % {"reference": reference or "—"}
        )
    return found[0]


def link_seller_notice(
    version: TermsVersion,
    reference: str,
    *,
    by,
    notified_on: date | None,
    effective_on: date | None,
    attachment_ids=(),
    note: str = "",
) -> SellerNotice:
    """Link the seller's report ``reference`` to ``version`` with the dates the agent checked, then recompute
    the version's notice check; one active link per report and version."""
    report = report_by_reference(reference)
    _validate(version, report, notified_on, effective_on, attachment_ids, note)
    with transaction.atomic():
        try:  # one active link per report and version: the database's constraint says so, races included
            notice = SellerNotice.objects.create(
                version=version,
                report_id=report["id"],
                notified_on=notified_on,
                effective_on=effective_on,
                medium=str(report["answers"].get("change_medium", ""))[:20],
                attachment_ids=[str(value) for value in attachment_ids],
                note=(note or "").strip(),
                linked_by=by,
                linked_at=timezone.now(),
            )
        except IntegrityError as error:
            raise SellerNoticeError(
                _("Le signalement %(reference)s est déjà rattaché à cette version.")
                % {"reference": report["reference"]}
            ) from error
        recheck_notice(version, reason=f"avis du signalement {report['reference']} rattaché")
    return notice


def _validate(version, report, notified_on, effective_on, attachment_ids, note) -> None:
    if version.document.marketplace_id != report["marketplace_id"]:
        raise SellerNoticeError(
            _("Le signalement %(reference)s concerne une autre place de marché que ce document.")
            % {"reference": report["reference"]}
        )
    today = timezone.localdate()
    if notified_on is not None and notified_on > today:
        raise SellerNoticeError(_("La date de notification ne peut pas être dans le futur."))
    if notified_on is None and effective_on is None:
        raise SellerNoticeError(
            _("Indiquez au moins une date : la notification reçue par le vendeur ou l’entrée en vigueur annoncée.")
        )
    if notified_on is not None and notified_on < version.first_seen_at.date() - timedelta(days=PLAUSIBLE_DAYS):
        raise SellerNoticeError(
            _("La date de notification précède de plus de deux ans la version : vérifiez la version choisie.")
        )
    known = {item["id"] for item in report["attachments"]}
    unknown = [value for value in attachment_ids if str(value) not in known]
    if unknown:
        raise SellerNoticeError(
            _("Une pièce choisie n’appartient pas au signalement %(reference)s.") % {"reference": report["reference"]}
        )
    if len((note or "").strip()) > NOTE_MAX_LENGTH:
        raise SellerNoticeError(_("La note ne peut pas dépasser %(max)s caractères.") % {"max": NOTE_MAX_LENGTH})


def withdraw_seller_notice(notice: SellerNotice, *, by, reason: str) -> SellerNotice:
    """Withdraw a link (kept, with who, when and why), then recompute the version's notice check."""
    reason = (reason or "").strip()
    if not reason:
        raise SellerNoticeError(_("Indiquez pourquoi ce rattachement est retiré."))
    if len(reason) > NOTE_MAX_LENGTH:
        raise SellerNoticeError(_("Le motif ne peut pas dépasser %(max)s caractères.") % {"max": NOTE_MAX_LENGTH})
    with transaction.atomic():
        locked = SellerNotice.objects.select_for_update().select_related("version").get(pk=notice.pk)
        if locked.withdrawn_at is not None:
            raise SellerNoticeError(_("Ce rattachement a déjà été retiré."))
        locked.withdrawn_at, locked.withdrawn_by, locked.withdrawal_reason = timezone.now(), by, reason
        locked.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"])
        recheck_notice(locked.version, reason=f"rattachement {locked.pk} retiré : {reason}")
    return locked
