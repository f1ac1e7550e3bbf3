"""Staff login: password, TOTP second factor, lockout, admin, ProConnect (mocked provider)."""

import html
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from fairplace.core.auth import proconnect
from fairplace.core.models import Role, User

PASSWORD = "un-mot-de-passe-solide-42"
LOGIN, VERIFY, ENROL, ACCOUNT, LOGOUT = (
    "/compte/connexion/",
    "/compte/verification/",
    "/compte/double-authentification/",
    "/compte/",
    "/compte/deconnexion/",
)


def text(response) -> str:
    return html.unescape(response.content.decode())


def make_user(role: str, email: str | None = None, **extra) -> User:
    return User.objects.create_user(email or f"{role}@exemple.gouv.fr", PASSWORD, role=role, **extra)


def code_for(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """What the agent's app shows now (or ``steps_ahead`` periods later)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def enrolled(user: User) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="app", confirmed=True)


def post_login(client, email, password=PASSWORD, **extra):
    return client.post(LOGIN, {"email": email, "password": password, **extra.pop("data", {})}, **extra)


@pytest.fixture
def agent(db):
    return make_user(Role.AGENT, first_name="Alex")


# --- password ---------------------------------------------------------------------------


def test_login_page_speaks_french(client, db):
    response = client.get(LOGIN)
    assert response.status_code == 200
    assert "Connexion à Fairplace" in text(response)
    assert "ProConnect" not in text(response)  # disabled by default


def test_wrong_password_is_refused_with_a_french_message(client, agent):
    response = post_login(client, agent.email, "mauvais-mot-de-passe")
    assert response.status_code == 200
    assert "Adresse électronique ou mot de passe incorrect." in text(response)
    assert "_auth_user_id" not in client.session


def test_platform_representative_logs_in_with_the_password_only(client, db):
    representative = make_user(Role.PLATFORM)
    response = post_login(client, "PLATFORM@exemple.gouv.fr")
    assert response.status_code == 302 and response["Location"] == ACCOUNT
    assert client.get(ACCOUNT).status_code == 200
    assert int(client.session["_auth_user_id"]) == representative.pk
    assert not TOTPDevice.objects.exists()


# --- second factor ----------------------------------------------------------------------


def test_agent_without_device_enrols_then_reaches_a_protected_page(client, agent):
    response = post_login(client, agent.email)
    assert response.status_code == 302 and response["Location"] == ENROL
    # The password alone opens no session: protected pages still send to the login page.
    assert client.get(ACCOUNT)["Location"].startswith(LOGIN)

    page = client.get(ENROL)
    shown = text(page)
    assert page.status_code == 200 and "<svg" in shown and "Activer la double authentification" in shown
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert client.get(ENROL).context["secret"] == page.context["secret"]  # stable across reloads

    refused = client.post(ENROL, {"code": "000000" if code_for(device) != "000000" else "111111"})
    assert "Ce code n'est pas valide" in text(refused)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TOTPDevice, "get_throttle_factor", lambda self: 0)
        response = client.post(ENROL, {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == ACCOUNT
    device.refresh_from_db()
    assert device.confirmed
    account = client.get(ACCOUNT)
    assert account.status_code == 200 and "activée" in text(account)


def test_agent_with_a_device_must_type_a_valid_code(client, agent, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = enrolled(agent)
    response = post_login(client, agent.email)
    assert response["Location"] == VERIFY
    wrong = client.post(VERIFY, {"code": "12345"})
    assert "Le code compte 6 chiffres." in text(wrong)
    bad = "000000" if code_for(device) != "000000" else "999999"
    assert "Ce code n'est pas valide" in text(client.post(VERIFY, {"code": bad}))
    assert client.get(ACCOUNT).status_code == 302

    response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 302 and response["Location"] == ACCOUNT
    assert client.get(ACCOUNT).status_code == 200


def test_repeated_wrong_codes_are_throttled(client, agent):
    device = enrolled(agent)
    post_login(client, agent.email)
    client.post(VERIFY, {"code": "000000"})
    response = client.post(VERIFY, {"code": code_for(device)})  # right code, but too soon
    assert "Trop de codes erronés" in text(response)


def test_next_is_kept_through_the_code_and_foreign_urls_are_ignored(client, agent, settings):
    device = enrolled(agent)
    post_login(client, agent.email, data={"next": "/compte/?onglet=1"})
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == "/compte/?onglet=1"
    other = Client()
    post_login(other, agent.email, data={"next": "https://ailleurs.example/"})
    assert other.post(VERIFY, {"code": code_for(device, steps_ahead=1)})["Location"] == ACCOUNT


def test_a_pending_login_expires(client, agent, monkeypatch):
    enrolled(agent)
    post_login(client, agent.email)
    real_time = time.time
    monkeypatch.setattr(time, "time", lambda: real_time() + 11 * 60)
    response = client.get(VERIFY)
    assert response.status_code == 302 and response["Location"] == LOGIN


def test_second_factor_required_guards_views(client, agent):
    anonymous = client.get(ACCOUNT)
    assert anonymous.status_code == 302 and anonymous["Location"] == f"{LOGIN}?next=/compte/"

    device = enrolled(agent)
    client.force_login(agent)  # a session opened without the code
    unverified = client.get(ACCOUNT)
    assert unverified.status_code == 302 and unverified["Location"] == f"{VERIFY}?next=%2Fcompte%2F"
    response = client.post(VERIFY, {"code": code_for(device), "next": "/compte/"})
    assert response["Location"] == ACCOUNT and client.get(ACCOUNT).status_code == 200

    platform = Client()
    platform.force_login(make_user(Role.PLATFORM))
    assert platform.get(ACCOUNT).status_code == 200


def test_admin_asks_staff_for_the_second_factor(client, db, settings):
    settings.FAIRPLACE_ADMIN_REQUIRES_SECOND_FACTOR = True
    admin = User.objects.create_superuser("admin@exemple.gouv.fr", PASSWORD, role=Role.ADMINISTRATOR)
    assert client.get("/admin/login/")["Location"] == f"{LOGIN}?next=%2Fadmin%2F"
    device = enrolled(admin)
    client.force_login(admin)
    to_login = client.get("/admin/")
    assert to_login.status_code == 302
    assert client.get(to_login["Location"])["Location"] == f"{VERIFY}?next=%2Fadmin%2F"
    assert client.post(VERIFY, {"code": code_for(device), "next": "/admin/"})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_admin_stays_usable_in_the_test_suite(client, db):
    client.force_login(User.objects.create_superuser("admin@exemple.gouv.fr", PASSWORD))
    assert client.get("/admin/").status_code == 200


# --- lockout and logout -----------------------------------------------------------------


def test_five_failures_lock_the_address_out_even_with_the_right_password(client, agent):
    for _attempt in range(4):
        assert post_login(client, agent.email, "mauvais").status_code == 200
    locked = post_login(client, agent.email.upper(), "mauvais")
    assert locked.status_code == 429
    assert "Connexion temporairement bloquée" in text(locked)
    assert "Réessayez dans 60 minutes" in text(locked)
    again = post_login(client, agent.email)
    assert again.status_code == 429 and "_auth_user_id" not in client.session
    # Counted per e-mail *and* IP address: nobody can lock the agent out from elsewhere.
    assert post_login(Client(REMOTE_ADDR="192.0.2.7"), agent.email)["Location"] == ENROL


def test_logout_needs_a_post_and_ends_the_session(client, db):
    client.force_login(make_user(Role.PLATFORM))
    assert client.get(LOGOUT).status_code == 405
    response = client.post(LOGOUT)
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert "Vous êtes déconnecté(e)." in text(client.get(LOGIN))
    assert client.get(ACCOUNT).status_code == 302


# --- ProConnect -------------------------------------------------------------------------

ISSUER = "https://proconnect.test/api/v2"
CLIENT_ID = "fairplace-test"


class FakeProConnect:
    """The provider behind httpx.MockTransport: discovery, JWKS, token and userinfo."""

    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.signing_key = self.key
        self.nonce = ""
        self.id_token_claims: dict = {}
        self.userinfo_claims: dict = {"email": "agent@exemple.gouv.fr"}
        self.requests: list[httpx.Request] = []
        self.down = False

    def sign(self, claims: dict) -> str:
        return jwt.encode(claims, self.signing_key, algorithm="RS256", headers={"kid": "cle-1"})

    def id_token(self) -> str:
        now = int(time.time())
        return self.sign(
            {
                "iss": ISSUER,
                "aud": CLIENT_ID,
                "sub": "sub-123",
                "iat": now,
                "exp": now + 60,
                "nonce": self.nonce,
                "idp_id": "idp",
                **self.id_token_claims,
            }
        )

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if self.down:
            raise httpx.ConnectError("unreachable", request=request)
        routes = {
            "/api/v2/.well-known/openid-configuration": lambda: httpx.Response(
                200,
                json={
                    "issuer": ISSUER,
                    "authorization_endpoint": f"{ISSUER}/authorize",
                    "token_endpoint": f"{ISSUER}/token",
                    "userinfo_endpoint": f"{ISSUER}/userinfo",
                    "jwks_uri": f"{ISSUER}/jwks",
                    "end_session_endpoint": f"{ISSUER}/session/end",
                },
            ),
            "/api/v2/jwks": lambda: httpx.Response(
                200,
                json={
                    "keys": [
                        {
                            **jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True),
                            "kid": "cle-1",
                            "use": "sig",
                            "alg": "RS256",
                        }
                    ]
                },
            ),
            "/api/v2/token": lambda: httpx.Response(
                200,
                json={
                    "access_token": "jeton-acces",
                    "token_type": "Bearer",
                    "expires_in": 60,
                    "id_token": self.id_token(),
                },
            ),
            "/api/v2/userinfo": lambda: httpx.Response(
                200,
                headers={"Content-Type": "application/jwt"},
                text=self.sign(
                    {
                        "iss": ISSUER,
                        "aud": CLIENT_ID,
                        "sub": "sub-123",
                        "given_name": "Alex",
                        "usual_name": "Martin",
                        **self.userinfo_claims,
                    }
                ),
            ),
        }
        assert request.url.host == "proconnect.test", request.url
        return routes.get(request.url.path, lambda: httpx.Response(404))()


@pytest.fixture
def provider(settings, monkeypatch):
    settings.PROCONNECT_ENABLED = True
    fake = FakeProConnect()

    def client():
        return proconnect.ProConnectClient(
            domain="proconnect.test",
            client_id=CLIENT_ID,
            client_secret="test-client-secret",
            scopes="openid email",
            algorithm="RS256",
            transport=httpx.MockTransport(fake.handle),
        )

    monkeypatch.setattr(proconnect, "get_proconnect_client", client)
    return fake


def start(client, provider) -> dict:
    response = client.get("/compte/proconnect/")
    assert response.status_code == 302
    query = {name: values[0] for name, values in parse_qs(urlsplit(response["Location"]).query).items()}
    provider.nonce = query["nonce"]
    return query


def callback(client, state, code="code-autorisation"):
    return client.get("/compte/proconnect/retour/", {"code": code, "state": state})


def test_proconnect_is_absent_when_disabled(client, db):
    assert client.get("/compte/proconnect/").status_code == 404
    assert client.get("/compte/proconnect/retour/", {"code": "x", "state": "y"}).status_code == 404


def test_proconnect_logs_an_existing_agent_in_then_asks_for_the_code(client, agent, provider):
    assert "S'identifier avec ProConnect" in text(client.get(LOGIN))
    device = enrolled(agent)
    query = start(client, provider)
    assert set(query) == {"response_type", "client_id", "redirect_uri", "scope", "state", "nonce"}
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32 and query["state"] != query["nonce"]
    assert query["redirect_uri"] == "http://testserver/compte/proconnect/retour/"

    response = callback(client, query["state"])
    assert response.status_code == 302 and response["Location"] == VERIFY
    token_request = next(r for r in provider.requests if r.url.path.endswith("/token"))
    body = parse_qs(token_request.content.decode())
    assert body["client_secret"] == ["test-client-secret"] and body["code"] == ["code-autorisation"]
    assert client.get(ACCOUNT).status_code == 302  # the TOTP code is still required

    client.post(VERIFY, {"code": code_for(device)})
    assert "par ProConnect" in text(client.get(ACCOUNT))
    logout = client.post(LOGOUT)
    assert logout["Location"].startswith(f"{ISSUER}/session/end?id_token_hint=")
    assert client.get(ACCOUNT).status_code == 302


def test_proconnect_refuses_a_state_that_does_not_match(client, agent, provider):
    start(client, provider)
    response = callback(client, "x" * 43)
    assert response.status_code == 400
    assert "n'a pas pu être vérifiée" in text(response)
    assert "Réessayer avec ProConnect" in text(response)
    assert not [r for r in provider.requests if r.url.path.endswith("/token")]


@pytest.mark.parametrize(
    "claims",
    [
        {"nonce": "un-autre-nonce-de-plus-de-32-caracteres"},
        {"iss": "https://faux-fournisseur.example/api/v2"},
        {"aud": "un-autre-service"},
        {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
    ],
    ids=["nonce", "issuer", "audience", "expired"],
)
def test_proconnect_refuses_an_id_token_that_fails_a_check(client, agent, provider, claims):
    query = start(client, provider)
    provider.id_token_claims = claims
    response = callback(client, query["state"])
    assert response.status_code == 403
    assert "n'a pas pu être vérifiée : la connexion est refusée" in text(response)
    assert "_auth_user_id" not in client.session and "fairplace_auth_pending" not in client.session


def test_proconnect_refuses_a_token_signed_by_another_key(client, agent, provider):
    query = start(client, provider)
    provider.signing_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert callback(client, query["state"]).status_code == 403


def test_proconnect_refuses_an_unknown_address_and_platform_accounts(client, agent, provider):
    provider.userinfo_claims = {"email": "inconnu@exemple.gouv.fr"}
    response = callback(client, start(client, provider)["state"])
    assert response.status_code == 403
    assert "Aucun compte Fairplace actif ne correspond" in text(response)
    assert "Réessayer avec ProConnect" not in text(response)

    make_user(Role.PLATFORM, "plateforme@exemple.gouv.fr")
    provider.userinfo_claims = {"email": "plateforme@exemple.gouv.fr"}
    refused = callback(client, start(client, provider)["state"])
    assert refused.status_code == 403 and "réservée aux agents publics" in text(refused)


def test_proconnect_down_says_a_retry_may_help(client, db, provider):
    provider.down = True
    response = client.get("/compte/proconnect/")
    assert response.status_code == 502
    assert "ProConnect ne répond pas" in text(response)
    assert "Réessayer avec ProConnect" in text(response)
