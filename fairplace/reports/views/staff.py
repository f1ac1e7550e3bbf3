"""Observatory access to evidence: only files the antivirus declared clean."""

from django.http import FileResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_http_methods

from fairplace.core.auth.guards import observatory_required

from ..models import Attachment, Report


@require_http_methods(["GET"])
@observatory_required
def staff_attachment(request, attachment_id):
    visible = Report.objects.visible_to(request.user)
    attachment = get_object_or_404(Attachment, pk=attachment_id, report__in=visible)
    if attachment.scan_status != Attachment.ScanStatus.CLEAN:
        return render(request, "reports/attachment_blocked.html", {"attachment": attachment}, status=403)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.original_name)
