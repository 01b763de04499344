"""Named connections (aliases) and their tokens, kept safe at rest.

Two stores, one interface:

- :class:`KeyringStore`: the OS keyring (macOS Keychain, Windows Credential Locker, Secret Service),
  where one works; nothing is written to disk.
- :class:`EncryptedFileStore`: one file, AES-256-GCM, created owner-only (0600 in a 0700 directory).
  Its key comes from a passphrase (scrypt, RFC 7914) or, where a keyring works, from a random key
  kept in the keyring. Without the key the file is unreadable; a wrong key is refused (GCM's tag).

:func:`open_store` picks one: ``FORCEGATE_STORE=keyring|file`` forces it; otherwise the keyring when it
works and no passphrase is given, else the file with the passphrase from ``FORCEGATE_PASSPHRASE`` (or
with a key kept in the keyring).
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from forcegate.client.connection import Connection
from forcegate.client.errors import StoreError
from forcegate.client.session import DEFAULT_SESSION_LIFETIME, Session

try:  # POSIX advisory locks serialise writers across processes; elsewhere one process at a time.
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "EncryptedFileStore",
    "KeyringStore",
    "StoredConnection",
    "TokenStore",
    "default_home",
    "keyring_usable",
    "open_store",
]

SERVICE = "forcegate"
VAULT_NAME = "connections.vault"
_AAD = b"forcegate-vault-v1"
# OWASP's floor for scrypt (128 MiB, ~0.5 s here: see bench/client_sdk.py); paid once per process.
# FORCEGATE_SCRYPT_N lowers it for new files (tests); a file keeps the cost it was written with.
SCRYPT_N = 2**17
SCRYPT_N_RANGE = (2**14, 2**20)


def _scrypt_n(value: int | str | None) -> int:
    n = int(value) if value is not None else SCRYPT_N
    if n & (n - 1) or not SCRYPT_N_RANGE[0] <= n <= SCRYPT_N_RANGE[1]:
        raise StoreError(f"the scrypt cost must be a power of two from 2^14 to 2^20, not {n}")
    return n


@dataclass
class StoredConnection:
    """What ``forcegate login`` remembers under an alias. ``consumer_secret`` and the session's tokens
    are secrets: they exist only inside a store."""

    alias: str
    login_url: str
    consumer_key: str
    flow: str
    consumer_secret: str | None = None
    username: str | None = None
    jwt_key_file: str | None = None
    session_lifetime: int = DEFAULT_SESSION_LIFETIME
    session: Session | None = None
    extra: dict[str, str] = field(default_factory=dict)

    def connection(self, **options: Any) -> Connection:
        return Connection(
            self.login_url,
            self.consumer_key,
            self.consumer_secret,
            session_lifetime=self.session_lifetime,
            **options,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["session"] = self.session.to_dict() if self.session else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StoredConnection:
        values = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        session = values.get("session")
        values["session"] = Session.from_dict(session) if isinstance(session, dict) else None
        return cls(**values)

    def __repr__(self) -> str:
        return f"StoredConnection(alias={self.alias!r}, login_url={self.login_url!r}, flow={self.flow!r})"


class TokenStore(Protocol):
    """Where connections live. ``save`` is durable when it returns."""

    description: str

    def list(self) -> list[StoredConnection]: ...

    def get(self, alias: str) -> StoredConnection | None: ...

    def save(self, record: StoredConnection) -> None: ...

    def remove(self, alias: str) -> bool: ...

    def default_alias(self) -> str | None: ...

    def set_default(self, alias: str | None) -> None: ...


# --- the keyring --------------------------------------------------------------------------------------


def keyring_usable() -> bool:
    """Whether an OS keyring answers here. Headless Linux usually has none (keyring's ``fail``
    backend); a plain-text "keyring" would write secrets in clear and is not accepted."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
        if isinstance(backend, fail.Keyring | null.Keyring):
            return False
        if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
            return False
        if "plaintext" in type(backend).__name__.lower():
            return False
        backend.get_password(SERVICE, "__probe__")
    except Exception:
        return False
    return True


class KeyringStore:
    """One keyring entry per alias plus an index entry (a keyring cannot list its entries)."""

    description = "OS keyring"
    _INDEX = "__index__"

    def __init__(self, service: str = SERVICE) -> None:
        import keyring

        self._keyring = keyring
        self.service = service
        self.description = f"OS keyring ({type(keyring.get_keyring()).__name__})"

    def _get_json(self, name: str) -> Any:
        try:
            raw = self._keyring.get_password(self.service, name)
        except Exception as exc:
            raise StoreError(f"the keyring refused to read: {exc.__class__.__name__}") from exc
        return json.loads(raw) if raw else None

    def _set_json(self, name: str, value: Any) -> None:
        try:
            self._keyring.set_password(self.service, name, json.dumps(value))
        except Exception as exc:
            raise StoreError(f"the keyring refused to write: {exc.__class__.__name__}") from exc

    def _index(self) -> dict[str, Any]:
        index = self._get_json(self._INDEX)
        return index if isinstance(index, dict) else {"aliases": [], "default": None}

    def list(self) -> list[StoredConnection]:
        found = (self.get(alias) for alias in self._index()["aliases"])
        return [record for record in found if record is not None]

    def get(self, alias: str) -> StoredConnection | None:
        data = self._get_json(f"connection:{alias}")
        return StoredConnection.from_dict(data) if isinstance(data, dict) else None

    def save(self, record: StoredConnection) -> None:
        self._set_json(f"connection:{record.alias}", record.to_dict())
        index = self._index()
        if record.alias not in index["aliases"]:
            index["aliases"].append(record.alias)
            self._set_json(self._INDEX, index)

    def remove(self, alias: str) -> bool:
        index = self._index()
        if alias not in index["aliases"]:
            return False
        with contextlib.suppress(Exception):
            self._keyring.delete_password(self.service, f"connection:{alias}")
        index["aliases"].remove(alias)
        if index.get("default") == alias:
            index["default"] = None
        self._set_json(self._INDEX, index)
        return True

    def default_alias(self) -> str | None:
        value = self._index().get("default")
        return str(value) if value else None

    def set_default(self, alias: str | None) -> None:
        index = self._index()
        index["default"] = alias
        self._set_json(self._INDEX, index)


# --- the encrypted file -------------------------------------------------------------------------------


def default_home() -> Path:
    return Path(os.environ.get("FORCEGATE_CLIENT_HOME") or Path.home() / ".forcegate")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


class EncryptedFileStore:
    """All connections in one AES-256-GCM encrypted file. Give ``passphrase`` (stretched with scrypt
    and a per-file salt) or ``key`` (32 raw bytes, e.g. from the keyring)."""

    description = "encrypted file"

    def __init__(
        self,
        path: Path,
        *,
        passphrase: str | None = None,
        key: bytes | None = None,
        scrypt_n: int | None = None,
    ) -> None:
        if (passphrase is None) == (key is None):
            raise StoreError("the encrypted store needs either a passphrase or a key")
        if key is not None and len(key) != 32:
            raise StoreError("the encrypted store's key must be 32 bytes")
        self.path = Path(path)
        self.description = f"encrypted file {self.path}"
        self._passphrase = passphrase
        self._raw_key = key
        self._key: bytes | None = key
        self._salt: bytes | None = None
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._n = _scrypt_n(scrypt_n if scrypt_n is not None else os.environ.get("FORCEGATE_SCRYPT_N"))

    # --- crypto ---

    def _derive(self, salt: bytes, n: int) -> bytes:
        assert self._passphrase is not None
        return Scrypt(salt=salt, length=32, n=n, r=8, p=1).derive(self._passphrase.encode("utf-8"))

    def _decrypt(self, envelope: dict[str, Any]) -> dict[str, Any]:
        try:
            kdf = envelope["kdf"]
            if kdf["name"] == "scrypt":
                if self._passphrase is None:
                    raise StoreError(f"{self.path} is protected by a passphrase: set FORCEGATE_PASSPHRASE")
                salt, n = _unb64(kdf["salt"]), _scrypt_n(kdf["n"])
                if self._salt != salt or self._n != n:
                    self._key, self._salt, self._n = self._derive(salt, n), salt, n
            elif self._raw_key is None:
                raise StoreError(f"{self.path} is protected by a key kept in the OS keyring")
            assert self._key is not None
            plain = AESGCM(self._key).decrypt(_unb64(envelope["nonce"]), _unb64(envelope["ciphertext"]), _AAD)
        except InvalidTag:
            raise StoreError(f"cannot decrypt {self.path}: wrong passphrase or key") from None
        except (KeyError, TypeError, ValueError) as exc:
            raise StoreError(f"{self.path} is not a forcegate token store") from exc
        data: dict[str, Any] = json.loads(plain)
        return data

    def _encrypt(self, data: dict[str, Any]) -> dict[str, Any]:
        if self._passphrase is not None:
            if self._salt is None:
                self._salt = secrets.token_bytes(16)
                self._key = self._derive(self._salt, self._n)
            kdf: dict[str, Any] = {"name": "scrypt", "salt": _b64(self._salt), "n": self._n, "r": 8, "p": 1}
        else:
            kdf = {"name": "keyring"}
        assert self._key is not None
        nonce = secrets.token_bytes(12)
        ciphertext = AESGCM(self._key).encrypt(nonce, json.dumps(data).encode("utf-8"), _AAD)
        return {
            "format": "forcegate-token-store",
            "version": 1,
            "cipher": "AES-256-GCM",
            "kdf": kdf,
            "nonce": _b64(nonce),
            "ciphertext": _b64(ciphertext),
        }

    # --- file ---

    def _ensure_directory(self) -> None:
        directory = self.path.parent
        if not directory.exists():
            directory.mkdir(mode=0o700, parents=True)

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Exclusive use of the store across processes (and threads); re-entrant in this process,
        so a token refresh can hold it around its own save."""
        with self._thread_lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._ensure_directory()
            fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                self._depth = 1
                yield
            finally:
                self._depth = 0
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)

    def _read(self) -> dict[str, Any]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return {"connections": {}, "default": None}
        except OSError as exc:
            raise StoreError(f"cannot read {self.path}: {exc.strerror}") from exc
        try:
            envelope = json.loads(raw)
        except ValueError:
            raise StoreError(f"{self.path} is not a forcegate token store") from None
        return self._decrypt(envelope)

    def _write(self, data: dict[str, Any]) -> None:
        """Atomically: a new 0600 file beside the old one, flushed to disk, then renamed over it."""
        body = json.dumps(self._encrypt(data)).encode("utf-8")
        temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(6)}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(body)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            raise

    @contextlib.contextmanager
    def _update(self) -> Iterator[dict[str, Any]]:
        with self.lock():
            data = self._read()
            yield data
            self._write(data)

    # --- TokenStore ---

    def list(self) -> list[StoredConnection]:
        data = self._read()
        return [StoredConnection.from_dict(v) for v in data["connections"].values()]

    def get(self, alias: str) -> StoredConnection | None:
        found = self._read()["connections"].get(alias)
        return StoredConnection.from_dict(found) if found else None

    def save(self, record: StoredConnection) -> None:
        with self._update() as data:
            data["connections"][record.alias] = record.to_dict()

    def remove(self, alias: str) -> bool:
        with self._update() as data:
            removed = data["connections"].pop(alias, None) is not None
            if data.get("default") == alias:
                data["default"] = None
        return removed

    def default_alias(self) -> str | None:
        value = self._read().get("default")
        return str(value) if value else None

    def set_default(self, alias: str | None) -> None:
        with self._update() as data:
            data["default"] = alias


# --- choosing ------------------------------------------------------------------------------------------


def _keyring_file_key() -> bytes:
    """A random 256-bit key for the file store, created in the keyring on first use."""
    import keyring

    stored = keyring.get_password(SERVICE, "__file_store_key__")
    if stored:
        return _unb64(stored)
    key = secrets.token_bytes(32)
    keyring.set_password(SERVICE, "__file_store_key__", _b64(key))
    return key


def open_store(
    home: Path | None = None, *, passphrase: str | None = None, backend: str | None = None
) -> TokenStore:
    """The store to use here; raises :class:`StoreError` saying what to set when none can be used."""
    backend = (backend or os.environ.get("FORCEGATE_STORE") or "auto").lower()
    passphrase = passphrase if passphrase is not None else os.environ.get("FORCEGATE_PASSPHRASE") or None
    usable = keyring_usable()
    if backend not in ("auto", "keyring", "file"):
        raise StoreError(f"FORCEGATE_STORE must be keyring, file or auto, not {backend!r}")
    if backend == "keyring" or (backend == "auto" and usable and passphrase is None):
        if not usable:
            raise StoreError("no OS keyring works here: use FORCEGATE_STORE=file and FORCEGATE_PASSPHRASE")
        return KeyringStore()
    path = (home or default_home()) / VAULT_NAME
    if passphrase is not None:
        return EncryptedFileStore(path, passphrase=passphrase)
    if usable:
        return EncryptedFileStore(path, key=_keyring_file_key())
    raise StoreError(
        "no OS keyring works here, so tokens go to an encrypted file: set FORCEGATE_PASSPHRASE "
        "to the passphrase that protects it"
    )
