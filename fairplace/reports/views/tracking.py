"""The seller's space, reached by a signed link sent by e-mail (no password)."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from fairplace.core.outbox import enqueue_email
from fairplace.core.ratelimit import RateLimited, client_ip, hit
from fairplace.core.views import rate_limited

from .. import intake
from ..forms import TrackingRequestForm
from ..models import Report, SellerContact
from ..questions import display_answers
from ..states import SELLER_STATE_HELP
from ..timeline import seller_timeline


def _contact_or_404(token) -> SellerContact:
    contact = intake.contact_from_token(token)
    if contact is None:
        raise Http404
    return contact


@require_http_methods(["GET", "POST"])
def tracking_request(request):
    form = TrackingRequestForm(data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            hit("link_email", email)
            hit("code_ip", client_ip(request))
        except RateLimited as exc:
            return rate_limited(request, exc)
        contact = SellerContact.objects.filter(email=email).first()
        if contact is not None:
            enqueue_email(to=email, template="tracking_link", context={"tracking_url": intake.tracking_url(contact)})
        # Same answer whether or not the address is known: no one can test an address.
        return render(request, "reports/tracking/sent.html", {"email": email})
    return render(request, "reports/tracking/request.html", {"form": form}, status=422 if form.errors else 200)


@require_http_methods(["GET"])
def tracking(request, token):
    contact = _contact_or_404(token)
    reports = contact.reports.select_related("marketplace", "family").order_by("-submitted_at")
    return render(request, "reports/tracking/list.html", {"reports": reports, "token": token, "contact": contact})


@require_http_methods(["GET"])
def tracking_detail(request, token, reference):
    contact = _contact_or_404(token)
    report = get_object_or_404(Report.objects.select_related("marketplace", "family"), contact=contact,
                               reference=reference)
    return render(request, "reports/tracking/detail.html", {
        "report": report, "token": token, "answers": display_answers(report.family.questions, report.answers),
        "state_help": SELLER_STATE_HELP.get(report.state, ""),
        "timeline": seller_timeline(report),
        "attachments": report.attachments.all(),
    })


@require_http_methods(["GET"])
def tracking_attachment(request, token, reference, attachment_id):
    contact = _contact_or_404(token)
    report = get_object_or_404(Report, contact=contact, reference=reference)
    attachment = get_object_or_404(report.attachments, pk=attachment_id)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)


def tracking_home(request):
    return redirect("reports:tracking_request")
