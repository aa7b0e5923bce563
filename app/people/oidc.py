"""The OpenID Connect provider: its discovery document and keys, and checking its tokens.

Keys come from the provider's JWKS and are kept; a token signed with a key id not among them
fetches the JWKS again (the provider rotated its keys), at most once per `refetch_seconds`. While
the provider does not answer, tokens signed with kept keys still verify; a token needing a key
that could not be fetched fails closed with a 503. Only asymmetric algorithms that the provider
advertises are accepted, so `none` and HS256 (signed with the public key as a secret) are refused.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from app.core.errors import Unauthorized, Unavailable

# httpx (with the CLI it loads: rich, pygments, click) is imported where a request is made, and
# joserfc (with cryptography, some 15 MB) once a provider is configured: a server that sends no
# request and signs nobody in through a provider never holds them in memory.
if TYPE_CHECKING:
    import httpx
    from joserfc.errors import JoseError
    from joserfc.jwk import KeySet

log = logging.getLogger(__name__)

ASYMMETRIC = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
# A JWT is three base64url parts; anything much longer than a provider's token is not one.
MAX_TOKEN_CHARS = 16_384


class TokenRefused(Unauthorized):
    """A provider token that does not verify; `reason` is what is logged, never the token."""


def origin_of(url: str) -> str:
    """`https://login.example/tenant/v2.0` → `https://login.example`."""
    import httpx

    parts = httpx.URL(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.host}{port}"


def looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2


class Provider:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        leeway: int = 60,
        refetch_seconds: float = 60.0,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.audience = audience
        self.leeway = leeway
        self.refetch_seconds = refetch_seconds
        self.clock = clock
        import httpx

        self._http: httpx.Client = httpx.Client(timeout=timeout, follow_redirects=False)
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._keys: KeySet | None = None
        self._kids: frozenset[str] = frozenset()
        self._last_attempt: float | None = None
        self.last_error: str | None = None
        self.keys_fetched = 0

    # The provider's documents

    def _get(self, url: str) -> dict[str, Any]:
        response = self._http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ValueError(f"{url} did not answer a JSON object")
        return body

    def _fetch(self) -> None:
        """Read the discovery document (once it answers) and the JWKS; record why it failed."""
        import httpx
        from joserfc.errors import JoseError
        from joserfc.jwk import KeySet

        self._last_attempt = self.clock()
        try:
            if self._metadata is None:
                metadata = self._get(f"{self.issuer}/.well-known/openid-configuration")
                if str(metadata.get("issuer", "")).rstrip("/") != self.issuer:
                    raise ValueError("the discovery document names another issuer")
                self._metadata = metadata
            keys = KeySet.import_key_set(self._get(str(self._metadata["jwks_uri"])))  # type: ignore[arg-type]
        except (httpx.HTTPError, ValueError, KeyError, JoseError) as error:
            self.last_error = f"the identity provider at {self.issuer} does not answer: {error}"
            log.warning("identity provider unreachable: %s", error)
            return
        self._keys = keys
        self._kids = frozenset(key.kid for key in keys.keys if key.kid)
        self.keys_fetched += 1
        self.last_error = None

    def _may_fetch(self) -> bool:
        return (
            self._last_attempt is None or self.clock() - self._last_attempt >= self.refetch_seconds
        )

    def metadata(self) -> dict[str, Any]:
        """The discovery document, fetched on first need; a 503 while it cannot be had."""
        if self._metadata is not None:
            return self._metadata
        with self._lock:
            if self._metadata is None and self._may_fetch():
                self._fetch()
            if self._metadata is None:
                raise Unavailable(self.last_error or "the identity provider does not answer")
            return self._metadata

    def algorithms(self) -> frozenset[str]:
        advertised = self.metadata().get("id_token_signing_alg_values_supported") or ["RS256"]
        return ASYMMETRIC & {str(alg) for alg in advertised}

    def _key(self, kid: str | None) -> Any:
        from joserfc.errors import JoseError

        keys = self._keys
        # A kept key needs no lock: a slow fetch for another key never holds up this token.
        if keys is not None and kid is not None and kid in self._kids:
            try:
                return keys.get_by_kid(kid)
            except JoseError:
                pass  # the keys were replaced meanwhile: look again under the lock
        with self._lock:
            if self._keys is None or (kid is not None and kid not in self._kids):
                if self._may_fetch():
                    self._fetch()
                elif self._keys is not None:
                    raise TokenRefused("the token was signed with an unknown key")
            if self._keys is None:
                raise Unavailable(self.last_error or "the identity provider does not answer")
            if kid is None:
                if len(self._keys.keys) == 1:
                    return self._keys.keys[0]
                raise TokenRefused("the token names no key")
            if kid in self._kids:
                return self._keys.get_by_kid(kid)
            if self.last_error is not None:
                # The provider may have rotated to a key it cannot tell us about now.
                raise Unavailable(f"the token's key cannot be checked now: {self.last_error}")
            raise TokenRefused("the token was signed with an unknown key")

    def readiness(self) -> str | None:
        """Why single sign-on cannot work now, or None; keys are fetched if none are kept."""
        with self._lock:
            if self._keys is None and self._may_fetch():
                self._fetch()
            return self.last_error

    @property
    def has_keys(self) -> bool:
        return self._keys is not None

    # Tokens

    def verify(
        self, token: str, *, audience: str | None = None, nonce: str | None = None
    ) -> dict[str, Any]:
        """The claims of a token the provider signed for `audience`; a 401 saying why if not."""
        try:
            return self._verify(token, audience or self.audience, nonce)
        except TokenRefused as refused:
            log.info("provider token refused: %s", refused.detail)
            raise

    def _verify(self, token: str, audience: str, nonce: str | None) -> dict[str, Any]:
        from joserfc import jws, jwt
        from joserfc.errors import JoseError

        if len(token) > MAX_TOKEN_CHARS or not looks_like_jwt(token):
            raise TokenRefused("the token is not a JWT")
        try:
            header = jws.extract_compact(token.encode("ascii")).protected
        except (JoseError, ValueError, UnicodeError) as error:
            raise TokenRefused("the token is not a well-formed JWT") from error
        alg = header.get("alg")
        allowed = self.algorithms()
        if not isinstance(alg, str) or alg not in allowed:
            raise TokenRefused(f"the token's algorithm {alg!r} is not accepted")
        kid = header.get("kid")
        if kid is not None and not isinstance(kid, str):
            raise TokenRefused("the token's key id is not text")
        key = self._key(kid)
        try:
            decoded = jwt.decode(token, key, algorithms=[alg])
        except JoseError as error:
            raise TokenRefused(f"the token's signature does not verify ({error.error})") from error
        claims = dict(decoded.claims)
        registry = jwt.JWTClaimsRegistry(
            leeway=self.leeway,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": audience},
            exp={"essential": True},
            sub={"essential": True},
        )
        try:
            registry.validate(claims)
        except JoseError as error:
            raise TokenRefused(_claim_reason(error)) from error
        if nonce is not None and claims.get("nonce") != nonce:
            raise TokenRefused("the ID token's nonce is not this sign-in's")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise TokenRefused("the token names no subject")
        return claims


REASONS = {
    "exp": "the token has expired",
    "nbf": "the token is not valid yet",
    "iat": "the token was issued in the future",
    "iss": "the token is from another issuer",
    "aud": "the token is for another audience",
}


def _claim_reason(error: JoseError) -> str:
    claim = getattr(error, "claim", None)
    if type(error).__name__ == "MissingClaimError":
        return f"the token has no {claim!r} claim"
    return REASONS.get(str(claim), f"the token's {claim!r} claim is not accepted")


def person_fields(claims: Mapping[str, Any]) -> tuple[str, str, str]:
    """The subject, name and e-mail a token's claims give (Entra ID may send only a UPN)."""
    subject = str(claims["sub"])
    email = next(
        (
            str(claims[key])
            for key in ("email", "preferred_username", "upn")
            if isinstance(claims.get(key), str) and "@" in claims[key]
        ),
        "",
    )
    name = claims.get("name")
    if not isinstance(name, str) or not name.strip():
        name = email or subject
    return subject[:255], " ".join(name.split())[:200], email[:320]
