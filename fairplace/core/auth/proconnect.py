"""ProConnect (ex-AgentConnect) adapter: OpenID Connect authorization-code flow for public
agents (domain brief §6.5). Only the first factor: the TOTP code is still asked afterwards.

1. ``start_login`` stores a random state and nonce (43 characters) in the session and returns
   the authorization URL (only the documented parameters: any other one is refused).
2. ``complete_login`` checks the state, exchanges the code (client_secret_post), verifies the
   id_token (signature against the provider's JWKS or the client secret, with the algorithm
   registered in the settings, never the one the token names; iss, aud, exp, iat, nonce),
   reads the signed userinfo JWT, and maps the e-mail to an existing, active Fairplace account
   of an agent-type role. Every failure raises ``ProConnectError`` with a French message and
   whether trying again may help.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _

from fairplace.core.models import Role

logger = logging.getLogger(__name__)

FLOW_KEY = "fairplace_proconnect_flow"
FLOW_MAX_AGE = 10 * 60
# Public agents only: platform representatives are private-sector users (and ProConnect may
# only authenticate public agents for us).
PROCONNECT_ROLES = {Role.AGENT, Role.SUPERVISOR, Role.MEDIATOR, Role.ADMINISTRATOR}
CLOCK_LEEWAY = 30  # seconds of clock difference tolerated on exp / iat


class ProConnectError(Exception):
    """``retryable``: whether starting again may succeed; ``status``: the HTTP status to show."""

    def __init__(self, message: str, *, retryable: bool, status: int = 400):
        super().__init__(message)
        self.message, self.retryable, self.status = message, retryable, status


def _unavailable() -> ProConnectError:
    return ProConnectError(
        _("ProConnect ne répond pas pour le moment. Réessayez dans quelques minutes."), retryable=True, status=502
    )


def _rejected() -> ProConnectError:
    return ProConnectError(
        _(
            "La réponse de ProConnect n'a pas pu être vérifiée : la connexion est refusée. "
            "Si le problème persiste, connectez-vous avec votre adresse électronique et votre mot de passe."
        ),
        retryable=False,
        status=403,
    )


@dataclass(frozen=True)
class Provider:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    userinfo_endpoint: str
    jwks_uri: str
    end_session_endpoint: str


@dataclass(frozen=True, kw_only=True)
class ProConnectClient:
    domain: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str
    algorithm: str
    timeout: float = 10
    transport: httpx.BaseTransport | None = None

    @property
    def issuer(self) -> str:
        return f"https://{self.domain}/api/v2"

    def discover(self) -> Provider:
        document = self._json(self._send("GET", f"{self.issuer}/.well-known/openid-configuration"))
        try:
            provider = Provider(**{name: document[name] for name in Provider.__dataclass_fields__})
        except (KeyError, TypeError) as exc:
            logger.warning("ProConnect discovery document incomplete: %r", exc)
            raise _unavailable() from exc
        # OpenID Connect Discovery §4.3: the issuer must be the one the document was asked of.
        urls_ok = all(isinstance(url, str) and url.startswith("https://") for url in vars(provider).values())
        if provider.issuer != self.issuer or not urls_ok:
            logger.warning("ProConnect discovery names issuer %r or a non-HTTPS endpoint", provider.issuer)
            raise _rejected()
        return provider

    def authorization_url(self, provider: Provider, *, redirect_uri: str, state: str, nonce: str) -> str:
        query = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": redirect_uri,
            "scope": self.scopes,
            "state": state,
            "nonce": nonce,
        }
        return f"{provider.authorization_endpoint}?{urlencode(query)}"

    def logout_url(self, provider: Provider, *, id_token: str, post_logout_redirect_uri: str) -> str:
        query = {
            "id_token_hint": id_token,
            "state": secrets.token_urlsafe(32),
            "post_logout_redirect_uri": post_logout_redirect_uri,
        }
        return f"{provider.end_session_endpoint}?{urlencode(query)}"

    def exchange_code(self, provider: Provider, *, code: str, redirect_uri: str) -> dict[str, Any]:
        response = self._send(
            "POST",
            provider.token_endpoint,
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": redirect_uri,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
            },
        )
        if response.status_code == 400:
            # Most often the code expired (it lives 30 s) or was already used.
            logger.warning("ProConnect token endpoint refused the code: %s", response.text[:300])
            raise ProConnectError(_("La connexion ProConnect a expiré. Recommencez."), retryable=True)
        tokens = self._json(response)
        if not isinstance(tokens.get("id_token"), str) or not isinstance(tokens.get("access_token"), str):
            raise _unavailable()
        return tokens

    def verify_id_token(self, provider: Provider, id_token: str, *, nonce: str) -> dict[str, Any]:
        claims = self._decode(provider, id_token, require=["exp", "iat", "iss", "aud", "sub", "nonce"])
        if not hmac.compare_digest(str(claims["nonce"]), nonce):
            logger.warning("ProConnect id_token nonce does not match the session's")
            raise _rejected()
        if "azp" in claims and claims["azp"] != self.client_id:
            raise _rejected()
        return claims

    def fetch_userinfo(self, provider: Provider, access_token: str, *, subject: str) -> dict[str, Any]:
        response = self._send("GET", provider.userinfo_endpoint, headers={"Authorization": f"Bearer {access_token}"})
        if response.status_code != 200:
            logger.warning("ProConnect userinfo answered HTTP %s", response.status_code)
            raise _unavailable()
        # A signed userinfo response SHOULD carry iss and aud (OpenID Connect Core §5.3.2):
        # checked when present. Its subject must be the id_token's.
        claims = self._decode(provider, response.text.strip(), require=["sub"], optional_iss_aud=True)
        if claims["sub"] != subject:
            raise _rejected()
        return claims

    def _decode(
        self, provider: Provider, token: str, *, require: list[str], optional_iss_aud: bool = False
    ) -> dict[str, Any]:
        try:
            key = self._signing_key(provider, token)
            unverified = jwt.decode(token, options={"verify_signature": False}) if optional_iss_aud else {}
            return jwt.decode(
                token,
                key,
                algorithms=[self.algorithm],
                leeway=CLOCK_LEEWAY,
                options={"require": require},
                audience=self.client_id if "aud" in unverified or not optional_iss_aud else None,
                issuer=self.issuer if "iss" in unverified or not optional_iss_aud else None,
            )
        except jwt.PyJWTError as exc:
            logger.warning("ProConnect token refused: %r", exc)
            raise _rejected() from exc

    def _signing_key(self, provider: Provider, token: str):
        if self.algorithm == "HS256":
            return self.client_secret
        kid = jwt.get_unverified_header(token).get("kid")
        keys = jwt.PyJWKSet.from_dict(self._json(self._send("GET", provider.jwks_uri)))
        candidates = [
            key
            for key in keys
            if key.algorithm_name == self.algorithm
            and key.public_key_use in (None, "sig")
            and (kid is None or key.key_id == kid)
        ]
        if not candidates:
            raise jwt.InvalidKeyError(f"no {self.algorithm} signing key with kid {kid!r}")
        return candidates[0]

    def _send(self, method: str, url: str, **kwargs) -> httpx.Response:
        try:
            with httpx.Client(timeout=self.timeout, transport=self.transport) as client:
                return client.request(method, url, **kwargs)
        except httpx.HTTPError as exc:
            logger.warning("ProConnect unreachable (%s %s): %r", method, url, exc)
            raise _unavailable() from exc

    @staticmethod
    def _json(response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            logger.warning("ProConnect answered HTTP %s for %s", response.status_code, response.request.url)
            raise _unavailable()
        try:
            payload = response.json()
        except ValueError:
            payload = None
        if not isinstance(payload, dict):
            raise _unavailable()
        return payload


def get_proconnect_client() -> ProConnectClient:
    return ProConnectClient(
        domain=settings.PROCONNECT_DOMAIN,
        client_id=settings.PROCONNECT_CLIENT_ID,
        client_secret=settings.PROCONNECT_CLIENT_SECRET,
        scopes=settings.PROCONNECT_SCOPES,
        algorithm=settings.PROCONNECT_SIGNING_ALGORITHM,
        timeout=settings.PROCONNECT_TIMEOUT,
    )


def start_login(request, *, redirect_uri: str, next_url: str) -> str:
    """Remember a fresh state and nonce in the session; return the authorization URL."""
    client = get_proconnect_client()
    provider = client.discover()
    state, nonce = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    request.session[FLOW_KEY] = {"state": state, "nonce": nonce, "next": next_url, "started": time.time()}
    return client.authorization_url(provider, redirect_uri=redirect_uri, state=state, nonce=nonce)


@dataclass(frozen=True)
class ProConnectLogin:
    user: Any
    id_token: str
    next_url: str


def complete_login(request, *, redirect_uri: str) -> ProConnectLogin:
    """Check the provider's answer on the redirect URI; return the Fairplace user."""
    flow = request.session.pop(FLOW_KEY, None)
    if not flow or time.time() - flow.get("started", 0) > FLOW_MAX_AGE:
        raise ProConnectError(_("Votre demande de connexion a expiré. Recommencez."), retryable=True)
    state = request.GET.get("state", "")
    if not hmac.compare_digest(state.encode(), flow["state"].encode()):
        logger.warning("ProConnect callback state does not match the session's")
        raise ProConnectError(_("La demande de connexion n'a pas pu être vérifiée. Recommencez."), retryable=True)
    if request.GET.get("error") or not request.GET.get("code"):
        logger.info("ProConnect returned error %r", request.GET.get("error"))
        raise ProConnectError(_("La connexion avec ProConnect n'a pas abouti. Recommencez."), retryable=True)
    client = get_proconnect_client()
    provider = client.discover()
    tokens = client.exchange_code(provider, code=request.GET["code"], redirect_uri=redirect_uri)
    id_claims = client.verify_id_token(provider, tokens["id_token"], nonce=flow["nonce"])
    userinfo = client.fetch_userinfo(provider, tokens["access_token"], subject=id_claims["sub"])
    return ProConnectLogin(user=user_for_claims(userinfo), id_token=tokens["id_token"], next_url=flow["next"])


def user_for_claims(claims: dict[str, Any]):
    """The existing, active account of an agent-type role whose e-mail ProConnect asserted."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise ProConnectError(_("ProConnect n'a pas transmis votre adresse électronique."), retryable=False)
    users = list(get_user_model().objects.filter(email__iexact=email.strip(), is_active=True)[:2])
    if len(users) != 1:
        raise ProConnectError(
            _(
                "Aucun compte Fairplace actif ne correspond à l'adresse %(email)s. "
                "Demandez à un administrateur de Fairplace de vous créer un compte."
            )
            % {"email": email},
            retryable=False,
            status=403,
        )
    user = users[0]
    if user.role not in PROCONNECT_ROLES:
        raise ProConnectError(
            _(
                "La connexion par ProConnect est réservée aux agents publics. "
                "Connectez-vous avec votre adresse électronique et votre mot de passe."
            ),
            retryable=False,
            status=403,
        )
    return user
