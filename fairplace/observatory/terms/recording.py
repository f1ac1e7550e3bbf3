"""Recording a fetched (or imported) text: snapshot, noise verdict, version, clause changes, notice check.

``record_snapshot`` is the only writer of ``Snapshot``, ``TermsVersion``, ``ClauseChange`` and
``NoticeCheck``. It runs in one transaction holding the document's row lock, so two trackers recording
the same document never classify against each other's half-written history.

How a new text is judged:

* an empty text is a ``truncated`` snapshot, never a change (the fetcher reports it as a failure);
* an OTA ``technical_upgrade`` record (a re-extraction with other selectors) is ``technical``;
* otherwise ``noise.classify_history`` runs over the last ``HISTORY_WINDOW`` non-empty snapshots plus the
  new text (the reference text of the latest version is put first when it left the window, so a long
  run of truncated renderings still compares with the last complete one), told where the reference is:
  its language is the document's, so a rendering in another language is a ``language_switch`` (never a
  version, never diffed against), and a change after a switch back is judged against the reference;
* one guard on top: a "restored" rendering whose text is neither the reference nor a completion of it
  is a ``change`` (the page changed while only truncated renderings were seen). A shorter rendering seen
  ``noise.TRUNCATION_PERSISTENCE`` times in a row is the page's new normal: noise.py then calls it a change.

A ``TermsVersion`` is written for ``first`` and ``change`` only. Its clause changes are the diff from the
reference text: the text of the latest version, or of a later snapshot that only completed it
(``restored``) or re-extracted it (``technical``).
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from .models import TOPIC_LABELS, ClauseChange, NoticeCheck, Snapshot, TermsVersion, TrackedDocument, Verdict
from .notices import write_notice
from .seller_notices import candidate_reports
from .text import notice as notice_rules
from .text.align import diff_versions
from .text.clauses import parse_clauses
from .text.dates import stated_dates as find_stated_dates
from .text.noise import FLAP_WINDOW, classify_history, detect_language, is_truncated
from .text.normalise import fingerprint, normalise
from .text.topics import tag_clause

HISTORY_WINDOW = FLAP_WINDOW + 2  # snapshots read back: enough for flap detection
VERSION_VERDICTS = (Verdict.FIRST, Verdict.CHANGE)
REFERENCE_VERDICTS = (Verdict.FIRST, Verdict.CHANGE, Verdict.TECHNICAL, Verdict.RESTORED)
TECHNICAL_RECORD = "technical_upgrade"
ALERT_TEMPLATE = "terms_change_alert"
ALERT_LINES = 20  # clause lines listed in an alert; the version page has them all
# French names of the topics of ``text/topics.py`` for alerts ("other" is not named).


def record_snapshot(
    document: TrackedDocument,
    *,
    fetched_at,
    markdown: str,
    source: str,
    record_type: str = "",
    status_code: int | None = None,
    headers: dict | None = None,
    final_url: str = "",
    body: bytes = b"",
    alert: bool = True,
) -> Snapshot:
    """Store one fetched text of ``document`` with its verdict; a version (with its clause changes and
    notice check) when the text changed for real; alert e-mails for a substantive change."""
    with transaction.atomic():
        TrackedDocument.objects.select_for_update().filter(pk=document.pk).first()
        verdict, language, reference = _judge(document, markdown, record_type)
        snapshot = Snapshot.objects.create(
            document=document,
            fetched_at=fetched_at,
            source=source,
            status_code=status_code,
            headers=dict(headers or {}),
            final_url=final_url,
            body_sha256=hashlib.sha256(body).hexdigest() if body else "",
            body=body,
            markdown=markdown,
            fingerprint=fingerprint(markdown),
            verdict=verdict,
            record_type=record_type,
        )
        if verdict in VERSION_VERDICTS:
            version = _write_version(document, snapshot, language, reference)
            if alert and verdict == Verdict.CHANGE and version.substantive:
                _alert_staff(document, version)
    return snapshot


# --- Verdict ---------------------------------------------------------------------------------------------


def _judge(document: TrackedDocument, markdown: str, record_type: str) -> tuple[str, str, Snapshot | None]:
    """(verdict, language, reference snapshot) of a new text of ``document``."""
    reference = _reference(document)
    if not normalise(markdown).strip():
        return Verdict.TRUNCATED, "", reference
    language = detect_language(normalise(markdown))
    if reference is None:
        return Verdict.FIRST, language, None
    if record_type == TECHNICAL_RECORD:
        return Verdict.TECHNICAL, language, reference
    recent = list(
        document.snapshots.exclude(markdown="").order_by("-fetched_at", "-id").only("id", "markdown")[:HISTORY_WINDOW]
    )[::-1]
    if reference.pk not in {snapshot.pk for snapshot in recent}:
        recent.insert(0, reference)
    # The reference is the document's current version: its language and text are what the new text is
    # judged against, even when older renderings in another language start the window.
    position = next(index for index, snapshot in enumerate(recent) if snapshot.pk == reference.pk)
    texts = [snapshot.markdown for snapshot in recent] + [markdown]
    kind = classify_history(texts, reference=position)[-1].kind
    new_fp = fingerprint(markdown)
    if kind == Verdict.RESTORED and new_fp != reference.fingerprint and not is_truncated(markdown, reference.markdown):
        kind = Verdict.CHANGE  # complete again, but not the text of the version before the truncations
    return kind, language, reference


def _reference(document: TrackedDocument) -> Snapshot | None:
    """The text the next change is compared with (see the module docstring)."""
    return (
        document.snapshots.filter(verdict__in=REFERENCE_VERDICTS)
        .exclude(markdown="")
        .order_by("-fetched_at", "-id")
        .first()
    )


# --- Version ---------------------------------------------------------------------------------------------


def _write_version(document, snapshot: Snapshot, language: str, reference: Snapshot | None) -> TermsVersion:
    previous = document.versions.order_by("-first_seen_at", "-id").first()
    stated = find_stated_dates(snapshot.markdown)
    if reference is None:
        diff = None
        clause_count = len(parse_clauses(snapshot.markdown))
    else:
        diff = diff_versions(reference.markdown, snapshot.markdown)
        clause_count = len(diff.new_clauses)
    version = TermsVersion.objects.create(
        document=document,
        snapshot=snapshot,
        previous=previous,
        first_seen_at=snapshot.fetched_at,
        language=language,
        substantive=True if diff is None else diff.substantive,
        stated_dates=[_stated_json(item) for item in stated],
        clause_count=clause_count,
    )
    if diff is not None:
        ClauseChange.objects.bulk_create(
            _clause_change(version, position, change) for position, change in enumerate(diff.changes)
        )
    write_notice(version, stated, snapshot.fetched_at, previous=previous)
    return version


def _stated_json(item) -> dict:
    return {
        "kind": item.kind,
        "date": item.date.isoformat(),
        "text": item.text,
        "language": item.language,
        "ambiguous": item.ambiguous,
        "historical": item.historical,
    }


def _clause_change(version: TermsVersion, position: int, change) -> ClauseChange:
    clause = change.clause
    return ClauseChange(
        version=version,
        kind=change.kind,
        clause_id=clause.id[:300],
        number=clause.number[:40],
        title=clause.title[:300],
        topics=tag_clause(clause),
        old_text=change.old.content.strip() if change.old else "",
        new_text=change.new.content.strip() if change.new else "",
        diff_html=change.word_diff_html() if change.word_diff else "",
        cosmetic=change.cosmetic,
        position=position,
    )


# --- Alert e-mails --------------------------------------------------------------------------------------


def _alert_staff(document: TrackedDocument, version: TermsVersion) -> None:
    """One e-mail per active agent, supervisor and administrator (deduplicated per version and user)."""
    from fairplace.core.models import OBSERVATORY_ROLES, User
    from fairplace.core.outbox import enqueue_email

    changes = [change for change in version.clause_changes.all() if not change.cosmetic]
    notice = getattr(version, "notice", None)
    context = {
        "document": document,
        "service": document.marketplace.name if document.marketplace_id else document.service_name,
        "version": version,
        "lines": [_alert_line(change) for change in changes[:ALERT_LINES]],
        "count": len(changes),
        "more": max(0, len(changes) - ALERT_LINES),
        "notice": notice,
        "notice_message": _notice_message(notice),
        "url": settings.FAIRPLACE_PUBLIC_URL.rstrip("/") + reverse("terms:version", args=[version.pk]),
        # Sellers' reports of a change of terms that may describe this version: their notices would date it.
        "seller_reports": len(candidate_reports(version)),
        "seller_url": settings.FAIRPLACE_PUBLIC_URL.rstrip("/")
        + reverse("terms_backoffice:version_notices", args=[version.pk]),
    }
    staff = User.objects.filter(is_active=True, role__in=list(OBSERVATORY_ROLES)).order_by("pk")
    for user in staff:
        enqueue_email(
            to=user.email, template=ALERT_TEMPLATE, context=context, dedup_key=f"terms.version.{version.pk}.{user.pk}"
        )


def _alert_line(change: ClauseChange) -> str:
    label = " ".join(part for part in (change.number, change.title) if part)
    if not label:
        words = (change.new_text or change.old_text).split()
        label = " ".join(words[:10]) + (" …" if len(words) > 10 else "")
    if len(label) > 120:
        label = label[:119].rstrip() + "…"
    topics = ", ".join(
        str(TOPIC_LABELS[topic]).lower() for topic in change.topics if topic in TOPIC_LABELS and topic != "other"
    )
    line = f"{change.get_kind_display()} : {label}"
    return f"{line} ({topics})" if topics else line


def _notice_message(notice: NoticeCheck | None) -> str:
    if notice is None:
        return ""
    check = notice_rules.NoticeCheck(
        notice.status, notice.effective_on, notice.notified_on, notice.notified_source or None, notice.gap_days
    )
    return check.message
