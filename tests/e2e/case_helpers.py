"""Helpers of the case-handling journeys (tests/e2e/test_case_journeys.py): people, reports
put in a given state through the real services, the real login form, DSFR inputs hidden
behind their labels, and small real files to upload."""

import re
import struct
import uuid
import zlib
from urllib.parse import urlsplit

from django.contrib.auth import get_user_model
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from fairplace.core.models import Role
from fairplace.platforms.models import Marketplace, PlatformRepresentative
from fairplace.reports import intake
from fairplace.reports.answers import record_platform_answer
from fairplace.reports.models import Report, ReportDraft
from fairplace.reports.workflow import apply_transition
from tests.conftest import PERSONA_PASSWORD, complete_steps

AGENT_EMAIL = "agent@fairplace.test"
PLATFORM_EMAIL = "rep@cdiscount.test"
# The seller's identity, as complete_steps() writes it: none of it may reach an anonymous
# seller's platform.
SIRET = "73282932000074"
SIREN = SIRET[:9]
COMPANY_NAME = "Atelier Martin"
FIRST_NAME, LAST_NAME = "Camille", "Martin"
SELLER_EMAIL = "camille.martin@atelier-martin.example"
MESSAGE_FOR_SELLER = (
    "Après réexamen, votre compte est réactivé depuis ce matin et vos offres sont de nouveau "
    "en ligne. Les sommes retenues seront versées sous 7 jours."
)
MESSAGE_FOR_ADMINISTRATION = "Note interne Cdiscount : la suspension venait d'une erreur de notre outil anti-fraude."


# People --------------------------------------------------------------------------------


def make_agent(email: str = AGENT_EMAIL):
    """An observatory agent with a confirmed authenticator app (TOTP device)."""
    agent = get_user_model().objects.create_user(email=email, password=PERSONA_PASSWORD, role=Role.AGENT)
    device = TOTPDevice.objects.create(user=agent, name="Application d'authentification", confirmed=True)
    return agent, device


def make_platform_representative(slug: str = "cdiscount", email: str = PLATFORM_EMAIL):
    user = get_user_model().objects.create_user(email=email, password=PERSONA_PASSWORD, role=Role.PLATFORM)
    PlatformRepresentative.objects.create(user=user, marketplace=Marketplace.objects.get(slug=slug))
    return user


def current_code(device: TOTPDevice) -> str:
    """The 6 digits the agent's authenticator app shows now."""
    device.refresh_from_db()
    return f"{totp(device.bin_key, step=device.step, digits=device.digits):0{device.digits}d}"


# Reports -------------------------------------------------------------------------------


def submit_report(*, email: str = SELLER_EMAIL, consent: str = "anonymous", marketplace: str = "cdiscount") -> Report:
    """A report filed through the real intake service, from a complete draft whose e-mail is
    confirmed (what the wizard hands over on "Envoyer mon signalement")."""
    steps = complete_steps(email=email, consent=consent, marketplace=marketplace)
    draft = ReportDraft.objects.create(steps=steps, email_verified=email, submit_key=uuid.uuid4())
    return intake.submit_draft(draft.pk, draft.submit_key, ip="192.0.2.1")


def forwarded_report(agent, **kwargs) -> Report:
    """A report qualified and forwarded to its platform by ``agent``."""
    report = submit_report(**kwargs)
    apply_transition(report, "qualify", actor=agent, actor_kind="agent")
    return apply_transition(report, "forward", actor=agent, actor_kind="agent")


def answered_report(agent, representative, *, actions=("reinstatement", "payment_release"), **kwargs) -> Report:
    """A forwarded report the platform accepted, promising ``actions``, with a message for
    the seller and one for the administration only."""
    report = forwarded_report(agent, **kwargs)
    record_platform_answer(
        report,
        actor=representative,
        kind="accepted",
        reasons=[],
        actions=list(actions),
        message_for_seller=MESSAGE_FOR_SELLER,
        message_for_administration=MESSAGE_FOR_ADMINISTRATION,
    )
    return Report.objects.get(pk=report.pk)


def tracking_path(report: Report) -> str:
    """The seller's tracking link (absolute, on FAIRPLACE_PUBLIC_URL) as a path of the live server."""
    return urlsplit(intake.tracking_url(report.contact)).path


# Browser -------------------------------------------------------------------------------


def log_in(page: Page, email: str, password: str = PERSONA_PASSWORD, shoot=None) -> None:
    """Fill in and send the real login form (the page must be the login page)."""
    expect(page.locator("h1")).to_have_text("Connexion à Fairplace")
    page.get_by_label("Adresse électronique", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    if shoot:
        shoot(page, "connexion")
    page.get_by_role("button", name="Se connecter", exact=True).click()


def choose(page: Page, name: str, value: str, *, within=None) -> None:
    """Choose a DSFR radio button: the input is visually hidden behind its label."""
    tick(page, (within or page).locator(f'input[name="{name}"][value="{value}"]'))


def tick(page: Page, field) -> None:
    """Tick a DSFR radio button or checkbox through the label tied to it."""
    page.locator(f'label[for="{field.get_attribute("id")}"]').click()
    expect(field).to_be_checked()


def path_re(path: str) -> re.Pattern:
    """The URL of ``path`` on the live server (with or without a query string)."""
    return re.compile(r"^https?://[^/]+" + re.escape(path) + r"(\?.*)?$")


def write_png(path, width: int = 24, height: int = 16) -> None:
    """A real (tiny) PNG image: the server checks the content, not the name."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 10 % 256, y * 15 % 256, 120)) for x in range(width)) for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    )


def write_pdf(path, text: str = "Compte reactive le 12 mars") -> None:
    """A real one-page PDF (with a correct cross-reference table) showing ``text`` (ASCII)."""
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj ET".encode("ascii")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    content, offsets = b"%PDF-1.4\n", []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(content))
        content += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref_at = len(content)
    content += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    content += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    content += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref_at}\n%%EOF\n".encode()
    path.write_bytes(content)


def error_links_lead_to_fields(page: Page) -> None:
    """Every link of the error summary leads to a field of the page (one element with that id)."""
    summary = page.locator("#error-summary")
    expect(summary).to_be_visible()
    hrefs = summary.locator("a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert hrefs, "le récapitulatif des erreurs n'a aucun lien vers les champs"
    broken = [href for href in hrefs if page.locator(href).count() != 1]
    assert broken == [], f"liens du récapitulatif des erreurs sans champ : {broken}"


def unnamed_controls(page: Page) -> list[str]:
    """Form fields without a label (nor aria-label/-labelledby) and buttons or links without an
    accessible name, in the page's main content and header."""
    return page.evaluate("""() => {
        const problems = [];
        const describe = el => el.outerHTML.slice(0, 120);
        for (const field of document.querySelectorAll("input, select, textarea")) {
            if (field.type === "hidden") continue;
            const named = field.labels.length || field.getAttribute("aria-label")
                || field.getAttribute("aria-labelledby") || field.getAttribute("title");
            if (!named) problems.push("champ sans étiquette : " + describe(field));
        }
        for (const control of document.querySelectorAll("button, a[href]")) {
            const text = (control.innerText || control.textContent || "").trim();
            const named = text || control.getAttribute("aria-label") || control.getAttribute("title")
                || control.getAttribute("aria-labelledby") || control.querySelector("img[alt]:not([alt=''])");
            if (!named) problems.push("bouton ou lien sans nom : " + describe(control));
        }
        return problems;
    }""")
