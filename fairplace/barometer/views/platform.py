"""A platform's view of the barometer editions: its own figures while the edition is in preview
(15 days before publication) and after, and its right of reply."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fairplace.core.auth.guards import platform_required

from ..display import family_name, show
from ..editions import EditionError, post_reply
from ..forms import ReplyForm
from ..indicators import registry
from ..models import Edition, PlatformReply


def _visible_editions():
    return Edition.objects.filter(status__in=[Edition.Status.PREVIEW, Edition.Status.PUBLISHED])


@platform_required
def editions(request):
    rows = []
    replies = set(PlatformReply.objects.filter(marketplace=request.marketplace).values_list("edition_id", flat=True))
    for edition in _visible_editions():
        rows.append({"edition": edition, "replied": edition.pk in replies})
    return render(request, "barometer/platform/editions.html", {"rows": rows, "marketplace": request.marketplace})


def _figure_rows(figures) -> list[dict]:
    """The platform's figures worded as on the public pages (display.show)."""
    indicators = registry()
    return [
        {
            "label": indicators[figure.indicator].label,
            "family": family_name(figure.breakdown),
            "shown": show(figure, indicators[figure.indicator], lang="fr"),
        }
        for figure in figures
        if figure.indicator in indicators
    ]


def _render_edition(request, edition, form, status=200):
    figures = edition.figures.filter(marketplace=request.marketplace)
    reply = PlatformReply.objects.filter(edition=edition, marketplace=request.marketplace).first()
    return render(
        request,
        "barometer/platform/edition.html",
        {
            "edition": edition,
            "marketplace": request.marketplace,
            "rows": _figure_rows(figures),
            "reply": reply,
            "form": form,
            "can_reply": edition.status == Edition.Status.PREVIEW,
        },
        status=status,
    )


@platform_required
def edition(request, code):
    edition = get_object_or_404(_visible_editions(), code=code)
    reply = PlatformReply.objects.filter(edition=edition, marketplace=request.marketplace).first()
    return _render_edition(request, edition, ReplyForm(initial={"text": reply.text if reply else ""}))


@platform_required
@require_POST
def reply(request, code):
    edition = get_object_or_404(_visible_editions(), code=code)
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            post_reply(edition, request.marketplace, author=request.user, text=form.cleaned_data["text"])
        except EditionError as error:
            form.add_error("text", error.message)
        else:
            messages.success(request, _("Votre réponse est enregistrée ; elle sera publiée à côté des chiffres."))
            return redirect("barometer_platform:edition", code=edition.code)
    return _render_edition(request, edition, form, status=422)
