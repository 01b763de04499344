"""Encryption of recoverable secrets (consumer secrets) under the server key, and token hashing.

Consumer secrets must be recoverable because the token response's ``signature`` is an HMAC keyed by
the secret, so they are encrypted, never hashed. The server key is a list of Fernet keys
(AES-128-CBC + HMAC-SHA256 from ``cryptography``): the first encrypts, every key decrypts, so a key
is rotated by putting a new key first, re-encrypting (``forcegate server-key reencrypt``) and then
dropping the old one, with no downtime.

Tokens, codes and security tokens are high-entropy random strings, so a single SHA-256 is a sound
at-rest hash (no salt or stretching needed: there is nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

__all__ = ["SecretBox", "constant_time_equals", "load_or_create_server_keys", "token_hash"]


def token_hash(token: str) -> str:
    """The at-rest form of a token or code: hex SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class SecretBox:
    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise ValueError("at least one server key is required")
        self._fernet = MultiFernet([Fernet(k) for k in keys])
        # Derived, never stored: signs CSRF tokens, so every process of a deployment agrees on them.
        self.mac_key = hashlib.sha256(b"forcegate-mac:" + keys[0]).digest()

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, ciphertext: str) -> str:
        try:
            return self._fernet.decrypt(ciphertext.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("secret cannot be decrypted with any configured server key") from exc

    def reencrypt(self, ciphertext: str) -> str:
        """Re-encrypt under the first (newest) key."""
        return self._fernet.rotate(ciphertext.encode()).decode()

    def sign(self, message: str) -> str:
        return hmac.new(self.mac_key, message.encode(), hashlib.sha256).hexdigest()


def load_or_create_server_keys(keys_env: str | None, key_file: Path) -> list[bytes]:
    """Keys from ``FORCEGATE_SERVER_KEYS``, else from the key file, created (0600) on first use."""
    if keys_env:
        return [k.strip().encode() for k in keys_env.split(",") if k.strip()]
    if key_file.exists():
        return [line.strip().encode() for line in key_file.read_text().splitlines() if line.strip()]
    key_file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(Fernet.generate_key().decode() + "\n")
    return load_or_create_server_keys(None, key_file)


def random_token(nbytes: int = 32) -> str:
    """URL-safe random string drawn only from letters, digits, '.' and '_' (real clients check this)."""
    return secrets.token_urlsafe(nbytes).replace("-", ".")
