"""One connection to a Salesforce-compatible login host, and a method per OAuth flow.

Works against login.salesforce.com, test.salesforce.com, any My Domain or Experience Cloud URL, and
forcegate alike: nothing here assumes the server is forcegate. Wire shapes: salesforce-wire.md §2-§10.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import secrets
import time
import warnings
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from forcegate.client.errors import (
    ClientError,
    KeyFileError,
    LoginError,
    NetworkError,
    OAuthError,
    RefreshTokenRejected,
    oauth_error_from_response,
)
from forcegate.client.loopback import wait_for_redirect
from forcegate.client.session import DEFAULT_SESSION_LIFETIME, Session

__all__ = [
    "LOGIN_URL",
    "SANDBOX_URL",
    "Connection",
    "DeviceCode",
    "normalize_login_url",
    "pkce_pair",
]

LOGIN_URL = "https://login.salesforce.com"
SANDBOX_URL = "https://test.salesforce.com"
DEFAULT_SCOPES = ("api", "refresh_token")
JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
SLOW_DOWN_STEP = 5  # RFC 8628 §3.5
log = logging.getLogger("forcegate.client")


def normalize_login_url(url: str) -> str:
    """``acme.my.salesforce.com`` → ``https://acme.my.salesforce.com``; no trailing slash. Lightning
    hosts are refused, as the Salesforce CLI refuses them: they serve no OAuth or API."""
    url = url.strip()
    if "://" not in url:
        url = "https://" + url
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not a login URL: {url!r}")
    if ".lightning.force.com" in parts.hostname:
        raise ValueError(
            f"{parts.hostname} is a Lightning host, not a login host: use the My Domain URL "
            "(https://<domain>.my.salesforce.com) instead"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")


def default_audience(login_url: str) -> str:
    """The JWT ``aud``: Salesforce wants the generic login host of the environment even when the token
    is requested on My Domain (sandbox My Domains take test.salesforce.com); other servers, forcegate
    included, accept their own URL, which is what the Salesforce CLI tries first."""
    host = urlsplit(login_url).hostname or ""
    if host in ("login.salesforce.com", "test.salesforce.com"):
        return f"https://{host}"
    if host.endswith(".sandbox.my.salesforce.com"):
        return SANDBOX_URL
    if host.endswith(".salesforce.com") or host.endswith(".force.com"):
        return LOGIN_URL
    return login_url


def pkce_pair() -> tuple[str, str]:
    """(verifier, S256 challenge), RFC 7636 §4.1-4.2."""
    verifier = secrets.token_urlsafe(64)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True)
class DeviceCode:
    """What the user must see: go to ``verification_uri`` and type ``user_code``."""

    user_code: str
    verification_uri: str
    interval: int
    expires_in: int
    device_code: str

    def __repr__(self) -> str:
        return f"DeviceCode(user_code={self.user_code!r}, verification_uri={self.verification_uri!r})"


def _print_device_code(code: DeviceCode) -> None:
    print(f"Open {code.verification_uri} and enter the code {code.user_code}")


class Connection:
    """A login host plus a connected app's consumer key (and its secret, when the app has one).

    ``clock`` returns epoch milliseconds (tests move it); ``http`` lets a caller share or configure
    the httpx client (proxies, certificates)."""

    def __init__(
        self,
        login_url: str = LOGIN_URL,
        consumer_key: str = "PlatformCLI",
        consumer_secret: str | None = None,
        *,
        session_lifetime: int = DEFAULT_SESSION_LIFETIME,
        timeout: float = 30.0,
        http: httpx.Client | None = None,
        clock: Callable[[], int] | None = None,
    ) -> None:
        self.login_url = normalize_login_url(login_url)
        self.consumer_key = consumer_key
        self.consumer_secret = consumer_secret or None
        self.session_lifetime = session_lifetime
        self.timeout = timeout
        self._http = http
        self._owns_http = http is None
        self.clock = clock or (lambda: time.time_ns() // 1_000_000)

    def __repr__(self) -> str:
        return f"Connection(login_url={self.login_url!r}, consumer_key={self.consumer_key!r})"

    # --- plumbing -----------------------------------------------------------------------------------

    @property
    def http(self) -> httpx.Client:
        if self._http is None:
            self._http = httpx.Client(timeout=self.timeout)
        return self._http

    def close(self) -> None:
        if self._http is not None and self._owns_http:
            self._http.close()
            self._http = None

    def __enter__(self) -> Connection:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def token_url(self) -> str:
        return f"{self.login_url}/services/oauth2/token"

    @property
    def authorize_url(self) -> str:
        return f"{self.login_url}/services/oauth2/authorize"

    @property
    def revoke_url(self) -> str:
        return f"{self.login_url}/services/oauth2/revoke"

    @property
    def introspect_url(self) -> str:
        return f"{self.login_url}/services/oauth2/introspect"

    def _client_auth(self, form: dict[str, str]) -> dict[str, str]:
        form = {"client_id": self.consumer_key, **form}
        if self.consumer_secret:
            form["client_secret"] = self.consumer_secret
        return form

    def verify_signature(self, body: dict[str, Any]) -> bool:
        """Check ``signature`` = base64(HMAC-SHA256(secret, id + issued_at)) (salesforce-wire.md §2.2).
        True when checked and valid; False when it cannot be checked (no secret, or a response without
        one, such as JWT bearer's); raises when it is wrong, since then the response did not come from
        the server that holds this app's secret."""
        signature, identity, issued = body.get("signature"), body.get("id"), body.get("issued_at")
        if not self.consumer_secret or not (signature and identity and issued):
            return False
        expected = base64.b64encode(
            hmac.new(self.consumer_secret.encode(), f"{identity}{issued}".encode(), hashlib.sha256).digest()
        ).decode()
        if not hmac.compare_digest(expected, str(signature)):
            raise LoginError(
                "the token response's signature does not match the consumer secret: "
                "the response was altered or the secret is wrong"
            )
        return True

    def session_from_response(
        self, body: dict[str, Any], previous_refresh_token: str | None = None
    ) -> Session:
        if not isinstance(body, dict) or "access_token" not in body:
            raise LoginError("the token endpoint answered without an access token")
        verified = self.verify_signature(body)
        return Session.from_token_response(
            body,
            self.clock(),
            self.session_lifetime,
            previous_refresh_token=previous_refresh_token,
            signature_verified=verified,
        )

    def _token_request(self, form: dict[str, str], grant: str) -> dict[str, Any]:
        try:
            response = self.http.post(self.token_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {self.login_url}: {exc.__class__.__name__}") from exc
        log.debug("token request %s to %s: HTTP %d", grant, self.login_url, response.status_code)
        return self._token_body(response)

    async def _atoken_request(
        self, form: dict[str, str], grant: str, http: httpx.AsyncClient
    ) -> dict[str, Any]:
        try:
            response = await http.post(self.token_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {self.login_url}: {exc.__class__.__name__}") from exc
        log.debug("token request %s to %s: HTTP %d", grant, self.login_url, response.status_code)
        return self._token_body(response)

    @staticmethod
    def _token_body(response: httpx.Response) -> dict[str, Any]:
        if response.status_code != 200:
            raise oauth_error_from_response(response)
        try:
            body = response.json()
        except ValueError:
            raise LoginError("the token endpoint answered HTTP 200 with a non-JSON body") from None
        if not isinstance(body, dict):
            raise LoginError("the token endpoint answered with an unexpected body")
        return body

    # --- Web Server flow with PKCE ------------------------------------------------------------------

    def authorization_url(
        self,
        redirect_uri: str,
        *,
        state: str,
        code_challenge: str | None = None,
        scopes: tuple[str, ...] | list[str] | None = DEFAULT_SCOPES,
        response_type: str = "code",
        **extra: str,
    ) -> str:
        params = {
            "response_type": response_type,
            "client_id": self.consumer_key,
            "redirect_uri": redirect_uri,
        }
        if scopes:
            params["scope"] = " ".join(scopes)
        params["state"] = state
        if code_challenge:
            params["code_challenge"] = code_challenge
            params["code_challenge_method"] = "S256"
        params.update(extra)
        return f"{self.authorize_url}?{urlencode(params)}"

    def exchange_code(self, code: str, redirect_uri: str, code_verifier: str | None = None) -> Session:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if code_verifier:
            form["code_verifier"] = code_verifier
        return self.session_from_response(self._token_request(self._client_auth(form), "authorization_code"))

    def web_server_login(
        self,
        *,
        port: int = 1717,
        callback_path: str = "/OauthRedirect",
        scopes: tuple[str, ...] | list[str] | None = DEFAULT_SCOPES,
        open_browser: Callable[[str], object] = webbrowser.open,
        timeout: float = 300.0,
    ) -> Session:
        """Open the browser on the authorize page, catch the redirect on ``http://localhost:<port>``,
        check ``state`` and exchange the code with its PKCE verifier."""
        redirect_uri = f"http://localhost:{port}{callback_path}"
        verifier, challenge = pkce_pair()
        state = secrets.token_urlsafe(24)
        url = self.authorization_url(redirect_uri, state=state, code_challenge=challenge, scopes=scopes)
        params = wait_for_redirect(port, callback_path, lambda: open_browser(url), timeout)
        if not hmac.compare_digest(params.get("state", ""), state):
            raise LoginError("the redirect carried a state that this login did not send: refused")
        if "error" in params:
            raise OAuthError(params["error"], params.get("error_description", ""))
        if not params.get("code"):
            raise LoginError("the redirect carried no authorization code")
        return self.exchange_code(params["code"], redirect_uri, verifier)

    # --- User-Agent flow helpers --------------------------------------------------------------------

    def user_agent_url(
        self,
        redirect_uri: str,
        *,
        state: str,
        scopes: tuple[str, ...] | list[str] | None = DEFAULT_SCOPES,
        **extra: str,
    ) -> str:
        """The authorize URL for a browser app: tokens come back in the redirect's fragment."""
        return self.authorization_url(
            redirect_uri, state=state, scopes=scopes, response_type="token", **extra
        )

    def parse_fragment(self, url_or_fragment: str, *, expected_state: str | None = None) -> Session:
        """The session in a User-Agent flow redirect (``https://app/cb#access_token=...``)."""
        fragment = url_or_fragment.split("#", 1)[1] if "#" in url_or_fragment else url_or_fragment
        fields = dict(parse_qsl(fragment.lstrip("#"), keep_blank_values=True))
        if expected_state is not None and not hmac.compare_digest(fields.get("state", ""), expected_state):
            raise LoginError("the redirect carried a state that this login did not send: refused")
        if "error" in fields:
            raise OAuthError(fields["error"], fields.get("error_description", ""))
        fields.pop("state", None)
        return self.session_from_response(fields)

    # --- Device flow (Salesforce's dialect: both steps at the token endpoint) -----------------------

    def start_device_login(self, scopes: tuple[str, ...] | list[str] | None = DEFAULT_SCOPES) -> DeviceCode:
        form = {"response_type": "device_code", "client_id": self.consumer_key}
        if scopes:
            form["scope"] = " ".join(scopes)
        body = self._token_request(form, "device_code")
        try:
            return DeviceCode(
                user_code=str(body["user_code"]),
                verification_uri=str(body["verification_uri"]),
                interval=int(body.get("interval") or 5),
                expires_in=int(body.get("expires_in") or 600),
                device_code=str(body["device_code"]),
            )
        except (KeyError, ValueError) as exc:
            raise LoginError("the device authorization answer lacks a field") from exc

    def poll_device_login(
        self, code: DeviceCode, *, sleep: Callable[[float], object] = time.sleep
    ) -> Session:
        """Poll at the server's interval until the user decides; ``slow_down`` adds 5 s to it."""
        interval, waited = code.interval, 0
        form = self._client_auth({"grant_type": "device", "code": code.device_code})
        while True:
            sleep(interval)
            waited += interval
            try:
                return self.session_from_response(self._token_request(form, "device"))
            except OAuthError as error:
                if error.error == "authorization_pending":
                    pass
                elif error.error == "slow_down":
                    interval += SLOW_DOWN_STEP
                else:
                    raise
            if waited >= code.expires_in:
                raise LoginError("the user code expired before the user approved it: start again")

    def device_login(
        self,
        scopes: tuple[str, ...] | list[str] | None = DEFAULT_SCOPES,
        *,
        on_code: Callable[[DeviceCode], object] = _print_device_code,
        sleep: Callable[[float], object] = time.sleep,
    ) -> Session:
        code = self.start_device_login(scopes)
        on_code(code)
        return self.poll_device_login(code, sleep=sleep)

    # --- JWT bearer ---------------------------------------------------------------------------------

    def jwt_assertion(
        self, username: str, private_key: str | bytes | Path, audience: str | None = None
    ) -> str:
        """An RS256 assertion: iss = consumer key, sub = username, aud, exp three minutes ahead."""
        where = f"{private_key} " if isinstance(private_key, Path) else ""
        pem = Path(private_key).read_bytes() if isinstance(private_key, Path) else private_key
        if isinstance(pem, str):
            pem = pem.encode()
        if b"-----BEGIN CERTIFICATE-----" in pem and b"PRIVATE KEY-----" not in pem:
            # The usual mix-up: the certificate belongs to the connected app, the key to the client.
            raise KeyFileError(
                f"the JWT key {where}is a certificate, not a private key: pass the private key whose "
                "certificate the app holds"
            )
        try:
            key = RSAKey.import_key(pem)
        except Exception as exc:
            raise KeyFileError(f"the JWT key {where}is not an RSA private key in PEM form") from exc
        if not key.is_private:
            raise KeyFileError(f"the JWT key {where}is a public key: the private key is needed to sign")
        claims = {
            "iss": self.consumer_key,
            "sub": username,
            "aud": audience or default_audience(self.login_url),
            "exp": self.clock() // 1000 + 180,
        }
        return jwt.encode({"alg": "RS256"}, claims, key, algorithms=["RS256"])

    def jwt_login(
        self, username: str, private_key: str | bytes | Path, *, audience: str | None = None
    ) -> Session:
        form = {"grant_type": JWT_GRANT, "assertion": self.jwt_assertion(username, private_key, audience)}
        return self.session_from_response(self._token_request(form, "jwt_bearer"))

    # --- refresh ------------------------------------------------------------------------------------

    def _refresh_form(self, refresh_token: str) -> dict[str, str]:
        return self._client_auth({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def _refreshed(self, body: dict[str, Any], refresh_token: str) -> Session:
        return self.session_from_response(body, previous_refresh_token=refresh_token)

    @staticmethod
    def _refresh_refused(error: OAuthError, rotation_seen: bool) -> OAuthError:
        if error.error == "invalid_grant":
            return RefreshTokenRejected(
                error.error, error.description, error.status, rotation_seen=rotation_seen
            )
        return error

    def refresh(self, refresh_token: str, *, rotation_seen: bool = False) -> Session:
        """A new access token. The result keeps ``refresh_token`` unless the server rotated it."""
        try:
            body = self._token_request(self._refresh_form(refresh_token), "refresh_token")
        except OAuthError as error:
            raise self._refresh_refused(error, rotation_seen) from None
        return self._refreshed(body, refresh_token)

    async def arefresh(
        self, refresh_token: str, http: httpx.AsyncClient, *, rotation_seen: bool = False
    ) -> Session:
        try:
            body = await self._atoken_request(self._refresh_form(refresh_token), "refresh_token", http)
        except OAuthError as error:
            raise self._refresh_refused(error, rotation_seen) from None
        return self._refreshed(body, refresh_token)

    # --- username-password, client credentials, an existing token -----------------------------------

    def password_login(self, username: str, password: str, security_token: str = "") -> Session:
        """Deprecated by Salesforce (blocked by default in new orgs): prefer JWT bearer or device."""
        warnings.warn(
            "the username-password flow is deprecated: use the JWT bearer, web server or device flow",
            DeprecationWarning,
            stacklevel=2,
        )
        form = {"grant_type": "password", "username": username, "password": password + security_token}
        return self.session_from_response(self._token_request(self._client_auth(form), "password"))

    def client_credentials_login(self) -> Session:
        """Tokens for the app's run-as user. Salesforce serves this flow on My Domain hosts only."""
        if not self.consumer_secret:
            raise LoginError("the client credentials flow needs the consumer secret")
        form = self._client_auth({"grant_type": "client_credentials"})
        return self.session_from_response(self._token_request(form, "client_credentials"))

    def use_access_token(self, access_token: str, instance_url: str | None = None) -> Session:
        """A session for a token obtained elsewhere (``sf org display``, another app). Nothing is
        checked until the first call; its expiry is assumed a full session lifetime away."""
        now = self.clock()
        return Session(
            access_token=access_token,
            instance_url=normalize_login_url(instance_url or self.login_url),
            issued_at_ms=now,
            expires_at_ms=now + self.session_lifetime * 1000,
        )

    # --- identity and revocation --------------------------------------------------------------------

    def userinfo(self, session: Session) -> dict[str, Any]:
        """OpenID Connect userinfo on the instance; which claims come back depends on the scopes."""
        try:
            response = self.http.get(
                f"{session.instance_url}/services/oauth2/userinfo",
                headers={"Authorization": f"Bearer {session.access_token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {session.instance_url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise oauth_error_from_response(response)
        body: dict[str, Any] = response.json()
        return body

    def identity(self, session: Session) -> dict[str, Any]:
        """The identity service document at the session's identity URL (``username``, ``urls``...)."""
        if not session.identity_url:
            raise LoginError("this session has no identity URL")
        try:
            response = self.http.get(
                session.identity_url,
                params={"format": "json"},
                headers={"Authorization": f"Bearer {session.access_token}", "Accept": "application/json"},
            )
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {session.identity_url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise oauth_error_from_response(response)
        body: dict[str, Any] = response.json()
        return body

    def introspect(self, token: str, token_type_hint: str = "access_token") -> dict[str, Any]:  # noqa: S107
        """RFC 7662 introspection (salesforce-wire.md §10.2); the app authenticates with its secret
        and may look only at its own tokens. ``{"active": false}`` for any token it cannot see."""
        form = self._client_auth({"token": token, "token_type_hint": token_type_hint})
        try:
            response = self.http.post(self.introspect_url, data=form, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {self.login_url}: {exc.__class__.__name__}") from exc
        if response.status_code != 200:
            raise oauth_error_from_response(response)
        try:
            body = response.json()
        except ValueError:
            raise LoginError("the introspection endpoint answered with a non-JSON body") from None
        return body if isinstance(body, dict) else {"active": False}

    def with_server_expiry(self, session: Session) -> Session:
        """The session with the expiry the server states, when it states one: introspection's ``exp``
        (Salesforce's advice for learning a token's real lifetime). Unchanged, still an estimate,
        when there is no secret to introspect with or the server says nothing usable."""
        if not session.expiry_estimated or not self.consumer_secret:
            return session
        try:
            info = self.introspect(session.access_token)
        except ClientError:
            return session
        exp = info.get("exp")
        if info.get("active") is not True or not isinstance(exp, int) or isinstance(exp, bool):
            return session
        return session.with_stated_expiry(exp * 1000)

    def revoke(self, token: str) -> None:
        """Revoke an access or refresh token (revoking a refresh token ends its access tokens too)."""
        try:
            response = self.http.post(self.revoke_url, data={"token": token})
        except httpx.HTTPError as exc:
            raise NetworkError(f"cannot reach {self.login_url}: {exc.__class__.__name__}") from exc
        log.debug("revoke at %s: HTTP %d", self.login_url, response.status_code)
        if response.status_code != 200:
            raise oauth_error_from_response(response)
