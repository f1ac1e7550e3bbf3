"""Quarterly editions: frozen figures, 15 days of preview for the platforms (right of reply),
then publication. Published figures are never restated: a later edition covers its own quarter."""

import logging
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from fairplace.core.errors import DomainError
from fairplace.core.outbox import enqueue_email
from fairplace.platforms.models import Marketplace, PlatformRepresentative

from . import published
from .compute import refresh_stale
from .facts import previous_quarter, quarter_bounds
from .figures import build_figures
from .indicators import barometer_setting
from .models import Edition, EditionFigure, PlatformReply

logger = logging.getLogger(__name__)
METHODOLOGY_VERSION = "2026.1"
REPLY_MAX = 3000
_FIELDS = ("status", "n", "k", "value", "ci_low", "ci_high", "p90", "rank", "ranked_count", "trend", "extra")


class EditionError(DomainError):
    pass


def parse_quarter(code: str) -> tuple[date, date]:
    code = (code or "").strip().upper()
    try:
        if len(code) != 7 or code[4:6] != "-T" or code[6] not in "1234":
            raise ValueError
        return quarter_bounds(code)
    except ValueError:
        raise EditionError(_("Trimestre invalide : indiquez-le sous la forme 2026-T3.")) from None


def figures_as_dict(edition: Edition | None) -> dict:
    if edition is None:
        return {}
    return {
        (figure.marketplace_id, figure.indicator, figure.breakdown): {name: getattr(figure, name) for name in _FIELDS}
        for figure in edition.figures.all()
    }


def previous_published(code: str) -> Edition | None:
    return Edition.objects.filter(code=previous_quarter(code), status=Edition.Status.PUBLISHED).first()


def freeze_edition(code: str, *, by=None, publication_date: date | None = None, today: date | None = None) -> Edition:
    """Freeze the figures of quarter ``code`` (after the quarter has ended) and open the preview.
    An edition still in preview may be frozen again (its replies are kept); a published one may not."""
    start, end = parse_quarter(code)
    code = code.strip().upper()
    today = today or timezone.localdate()
    if end >= today:
        raise EditionError(
            _("Le trimestre %(code)s n'est pas terminé : il ne peut pas encore être figé.") % {"code": code}
        )
    earliest = today + timedelta(days=barometer_setting("PREVIEW_DAYS"))
    if publication_date is None:
        publication_date = earliest
    elif publication_date < earliest:
        raise EditionError(
            _(
                "La publication doit laisser au moins %(days)d jours de relecture aux plateformes "
                "(au plus tôt le %(date)s)."
            )
            % {"days": barometer_setting("PREVIEW_DAYS"), "date": earliest.strftime("%d/%m/%Y")}
        )
    refresh_stale()
    marketplace_ids = list(Marketplace.objects.filter(is_active=True).values_list("pk", flat=True))
    rows = build_figures(code, marketplace_ids, figures_as_dict(previous_published(code)))
    with transaction.atomic():
        edition = Edition.objects.select_for_update().filter(code=code).first()
        if edition and edition.status != Edition.Status.PREVIEW:
            raise EditionError(
                _("L'édition %(code)s est déjà publiée : ses chiffres ne changent plus.") % {"code": code}
            )
        if edition is None:
            edition = Edition(code=code)
        edition.period_start, edition.period_end = start, end
        edition.status = Edition.Status.PREVIEW
        edition.frozen_at, edition.frozen_by = timezone.now(), by
        edition.publication_date = publication_date
        edition.methodology_version = METHODOLOGY_VERSION
        edition.settings_snapshot = dict(settings.FAIRPLACE_BAROMETER)
        edition.save()
        edition.figures.all().delete()
        EditionFigure.objects.bulk_create([EditionFigure(edition=edition, **row) for row in rows], batch_size=2000)
        for representative in PlatformRepresentative.objects.filter(
            marketplace_id__in=marketplace_ids, user__is_active=True
        ).select_related("user", "marketplace"):
            enqueue_email(
                to=representative.user.email,
                template="barometer_preview",
                dedup_key=f"barometer-preview:{code}:{edition.frozen_at.isoformat()}:{representative.user_id}",
                context={
                    "code": code,
                    "marketplace": representative.marketplace.name,
                    "publication_date": publication_date.strftime("%d/%m/%Y"),
                    "url": settings.FAIRPLACE_PUBLIC_URL + reverse("barometer_platform:edition", args=[code]),
                },
            )
    return edition


def publish_edition(edition: Edition, *, today: date | None = None) -> Edition:
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status != Edition.Status.PREVIEW:
            raise EditionError(_("Seule une édition en relecture peut être publiée."))
        if locked.publication_date > today:
            raise EditionError(
                _("Les plateformes ont jusqu'au %(date)s pour relire l'édition : publication impossible avant.")
                % {"date": locked.publication_date.strftime("%d/%m/%Y")}
            )
        locked.status, locked.published_at = Edition.Status.PUBLISHED, timezone.now()
        locked.save(update_fields=["status", "published_at"])
    _after_publication(locked)
    return locked


def _after_publication(edition: Edition) -> None:
    published.bump_generation()
    try:
        from .pdf import build_pdf

        build_pdf(edition)
    except Exception:  # the PDF is also built on first download
        logger.exception("PDF of edition %s not built at publication", edition.code)


def publish_due_editions(today: date | None = None) -> int:
    today = today or timezone.localdate()
    due = Edition.objects.filter(status=Edition.Status.PREVIEW, publication_date__lte=today)
    return sum(1 for edition in due if publish_edition(edition, today=today))


def post_reply(edition: Edition, marketplace: Marketplace, *, author, text: str) -> PlatformReply:
    """The platform's reply, published next to its figures; editable until publication."""
    text = (text or "").strip()
    if not text:
        raise EditionError(_("Écrivez votre réponse avant de l'envoyer."))
    if len(text) > REPLY_MAX:
        raise EditionError(
            _("Votre réponse dépasse %(max)d caractères (%(count)d).") % {"max": REPLY_MAX, "count": len(text)}
        )
    with transaction.atomic():
        locked = Edition.objects.select_for_update().get(pk=edition.pk)
        if locked.status != Edition.Status.PREVIEW:
            raise EditionError(_("L'édition est publiée : la réponse ne peut plus être modifiée."))
        reply, _created = PlatformReply.objects.update_or_create(
            edition=locked, marketplace=marketplace, defaults={"text": text, "author": author}
        )
    return reply
