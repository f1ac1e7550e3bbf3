"""Company lookup through the open "API Recherche d'entreprises" (domain brief section 6.4).

A 14-digit `q` is a direct SIRET lookup: `matching_etablissements` then holds only that SIRET.
Limits: 7 requests/s per IP, HTTP 429 beyond; a descriptive User-Agent is expected.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

# Header values must be ASCII (httpx refuses anything else), hence "marche" without its accent.
USER_AGENT = "Fairplace/1.0 (observatoire des places de marche; contact: ne-pas-repondre@fairplace.example)"

# INSEE `tranche_effectif_salarie` codes; codes 32 and above are handled as "large".
_SIZE_BANDS = {
    "NN": "micro", "00": "micro", "01": "micro", "02": "micro", "03": "micro",
    "11": "small", "12": "small",
    "21": "medium", "22": "medium", "31": "medium",
}  # fmt: skip


def size_band(staff_band_code: str | None) -> str:
    """Map an INSEE staff-band code to micro / small / medium / large / unknown."""
    code = staff_band_code or ""
    if code.isdigit() and int(code) >= 32:
        return "large"
    return _SIZE_BANDS.get(code, "unknown")


@dataclass(frozen=True)
class CompanyInfo:
    siren: str
    siret: str
    name: str
    naf_code: str
    size_band: str
    staff_band_code: str
    category: str
    city: str
    is_active: bool


class CompanyLookupError(Exception):
    retryable: bool = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class CompanyNotFound(CompanyLookupError):
    def __init__(self) -> None:
        super().__init__(_("Aucune entreprise trouvée pour ce numéro SIRET."))


class CompanyLookupUnavailable(CompanyLookupError):
    retryable = True

    def __init__(self) -> None:
        super().__init__(
            _("Le service de recherche d'entreprises ne répond pas. Vous pouvez saisir les informations vous-même.")
        )


class CompanySearchClient:
    def __init__(self, base_url: str, timeout: float, transport: httpx.BaseTransport | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.transport = transport

    def lookup_siret(self, siret: str) -> CompanyInfo:
        """Return the establishment `siret` and its legal unit, or raise CompanyLookupError."""
        if not getattr(settings, "FAIRPLACE_COMPANY_SEARCH_ENABLED", True):
            raise CompanyLookupUnavailable()
        siret = "".join(siret.split())
        if len(siret) != 14 or not siret.isdigit():
            # Anything else would be run as a full-text search by the API.
            raise CompanyNotFound()
        payload = self._get_json({"q": siret, "per_page": 1})
        for unit in payload["results"]:
            establishment = _find_establishment(unit, siret)
            if establishment is not None:
                return _to_company_info(unit, establishment)
        raise CompanyNotFound()

    def _get_json(self, params: dict[str, Any]) -> dict[str, Any]:
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport, headers=headers) as client:
                response = client.get(f"{self.base_url}/search", params=params)
        except httpx.HTTPError as exc:
            logger.warning("Company search unreachable: %r", exc)
            raise CompanyLookupUnavailable() from exc
        if response.status_code != 200:
            # 429 and 5xx are transient; other codes mean the API changed: the seller types it in.
            logger.warning("Company search answered HTTP %s", response.status_code)
            raise CompanyLookupUnavailable()
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            logger.warning("Company search returned malformed JSON or an unexpected shape")
            raise CompanyLookupUnavailable()
        return payload


def _find_establishment(unit: Any, siret: str) -> dict[str, Any] | None:
    if not isinstance(unit, dict):
        return None
    candidates = [*(unit.get("matching_etablissements") or []), unit.get("siege")]
    for establishment in candidates:
        if isinstance(establishment, dict) and establishment.get("siret") == siret:
            return establishment
    return None


def _text(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _to_company_info(unit: dict[str, Any], establishment: dict[str, Any]) -> CompanyInfo:
    siret = establishment["siret"]
    staff_band_code = _text(unit, "tranche_effectif_salarie")
    return CompanyInfo(
        siren=_text(unit, "siren") or siret[:9],
        siret=siret,
        name=_text(unit, "nom_complet") or _text(unit, "nom_raison_sociale"),
        naf_code=_text(establishment, "activite_principale") or _text(unit, "activite_principale"),
        size_band=size_band(staff_band_code),
        staff_band_code=staff_band_code,
        category=_text(unit, "categorie_entreprise"),
        city=_text(establishment, "libelle_commune"),
        is_active=establishment.get("etat_administratif") == "A",
    )


def get_company_search_client() -> CompanySearchClient:
    return CompanySearchClient(
        base_url=settings.FAIRPLACE_COMPANY_SEARCH_URL,
        timeout=float(settings.FAIRPLACE_COMPANY_SEARCH_TIMEOUT),
    )
