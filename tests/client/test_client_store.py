"""Token storage: the encrypted file (0600, unreadable without its key, no token in clear), the OS
keyring where one works (and its detection where none does), named connections, and no token in
any log line at DEBUG level through a whole login, refresh, store and revoke."""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from jaraco.classes import properties
from keyring.backend import KeyringBackend
from keyring.backends import fail

from forcegate.client import (
    EncryptedFileStore,
    KeyringStore,
    Session,
    StoredConnection,
    StoreError,
    keyring_usable,
    manager_for,
    open_store,
)
from forcegate.client.auth import SalesforceAuth
from tests.support.client_helpers import browser, connection, free_port, web_app
from tests.support.server import Server

ACCESS = "00D000000000001!AQ0secretaccesstokenvalue"
REFRESH = "5Aep861secretrefreshtokenvalue"
SECRET = "consumer-secret-value-1234"


def _record(alias: str = "dev") -> StoredConnection:
    return StoredConnection(
        alias=alias,
        login_url="https://login.salesforce.com",
        consumer_key="3MVG9key",
        consumer_secret=SECRET,
        flow="web",
        username="ada@example.com",
        session=Session(
            access_token=ACCESS,
            instance_url="https://acme.my.salesforce.com",
            identity_url="https://login.salesforce.com/id/00D000000000001AAA/005000000000001AAA",
            scopes=("api", "refresh_token"),
            issued_at_ms=1_700_000_000_000,
            expires_at_ms=1_700_007_200_000,
            refresh_token=REFRESH,
        ),
    )


class MemoryKeyring(KeyringBackend):
    """An OS keyring stand-in that keeps entries in memory (keyring's own backend API)."""

    @properties.classproperty
    def priority(cls) -> float:
        # Not viable for keyring's own choice: only the fixture below installs it, for one test.
        raise RuntimeError("a test backend")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def _cheap_scrypt(monkeypatch: pytest.MonkeyPatch) -> None:
    """New test stores use scrypt's lowest accepted cost; the default has its own test."""
    monkeypatch.setenv("FORCEGATE_SCRYPT_N", str(2**14))


def _secrets_absent(raw: bytes) -> None:
    for secret in (ACCESS, REFRESH, SECRET, "ada@example.com"):
        for form in (secret.encode(), base64.b64encode(secret.encode())):
            assert form not in raw


# --- the encrypted file ---------------------------------------------------------------------------


def test_when_file_store_written_then_0600_in_a_0700_directory_and_no_secret_in_clear(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = EncryptedFileStore(home / "connections.vault", passphrase="correct horse")
    store.save(_record())

    path = home / "connections.vault"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert [p.name for p in home.iterdir() if not p.name.endswith(".lock")] == ["connections.vault"]
    _secrets_absent(path.read_bytes())
    reread = EncryptedFileStore(path, passphrase="correct horse").get("dev")
    assert reread is not None and reread.session is not None
    assert reread.session.refresh_token == REFRESH and reread.consumer_secret == SECRET


def test_when_created_with_the_default_cost_then_scrypt_at_owasp_strength_and_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCEGATE_SCRYPT_N")
    path = tmp_path / "connections.vault"
    EncryptedFileStore(path, passphrase="p").save(_record())
    envelope = json.loads(path.read_bytes())
    assert envelope["cipher"] == "AES-256-GCM"
    assert {k: envelope["kdf"][k] for k in ("name", "n", "r", "p")} == {
        "name": "scrypt",
        "n": 2**17,
        "r": 8,
        "p": 1,
    }
    monkeypatch.setenv("FORCEGATE_SCRYPT_N", str(2**14))  # a later process with another setting
    store = EncryptedFileStore(path, passphrase="p")
    store.save(_record("two"))
    assert json.loads(path.read_bytes())["kdf"]["n"] == 2**17
    with pytest.raises(StoreError, match="power of two"):
        EncryptedFileStore(path, passphrase="p", scrypt_n=1000)


def test_when_rewritten_then_still_0600_even_under_a_permissive_umask(tmp_path: Path) -> None:
    previous = os.umask(0)
    try:
        store = EncryptedFileStore(tmp_path / "v" / "connections.vault", passphrase="p")
        store.save(_record("one"))
        store.save(_record("two"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "v" / "connections.vault").stat().st_mode) == 0o600
    assert [r.alias for r in store.list()] == ["one", "two"]


def test_when_passphrase_wrong_or_missing_then_store_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "connections.vault"
    EncryptedFileStore(path, passphrase="right").save(_record())
    with pytest.raises(StoreError, match="wrong passphrase or key"):
        EncryptedFileStore(path, passphrase="wrong").list()
    with pytest.raises(StoreError, match="protected by a passphrase"):
        EncryptedFileStore(path, key=os.urandom(32)).get("dev")
    with pytest.raises(StoreError, match="passphrase"):
        EncryptedFileStore(path, passphrase=None, key=None)


def test_when_file_tampered_then_refused(tmp_path: Path) -> None:
    path = tmp_path / "connections.vault"
    EncryptedFileStore(path, passphrase="right").save(_record())
    raw = bytearray(path.read_bytes())
    index = raw.index(b'"ciphertext": "') + 20
    raw[index] = ord("A") if raw[index] != ord("A") else ord("B")
    path.write_bytes(bytes(raw))
    with pytest.raises(StoreError):
        EncryptedFileStore(path, passphrase="right").list()


def test_named_connections_list_get_remove_and_default(tmp_path: Path) -> None:
    store = EncryptedFileStore(tmp_path / "connections.vault", passphrase="p")
    store.save(_record("dev"))
    store.save(_record("prod"))
    store.set_default("prod")
    assert sorted(r.alias for r in store.list()) == ["dev", "prod"]
    assert store.default_alias() == "prod"
    assert store.remove("prod") and not store.remove("prod")
    assert store.default_alias() is None and store.get("prod") is None


# --- the keyring ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_keyring")
def test_when_no_keyring_works_then_detected_and_the_file_needs_a_passphrase(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCEGATE_PASSPHRASE", raising=False)
    monkeypatch.delenv("FORCEGATE_STORE", raising=False)
    assert not keyring_usable()
    with pytest.raises(StoreError, match="FORCEGATE_PASSPHRASE"):
        open_store(tmp_path)
    monkeypatch.setenv("FORCEGATE_PASSPHRASE", "from the environment")
    store = open_store(tmp_path)
    assert isinstance(store, EncryptedFileStore)
    store.save(_record())
    assert EncryptedFileStore(tmp_path / "connections.vault", passphrase="from the environment").get("dev")
    with pytest.raises(StoreError, match="no OS keyring"):
        open_store(tmp_path, backend="keyring")


def test_when_keyring_works_then_tokens_go_there_and_nothing_to_disk(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCEGATE_PASSPHRASE", raising=False)
    monkeypatch.delenv("FORCEGATE_STORE", raising=False)
    assert keyring_usable()
    store = open_store(tmp_path)
    assert isinstance(store, KeyringStore)
    store.save(_record("dev"))
    store.save(_record("prod"))
    store.set_default("dev")
    assert list(tmp_path.iterdir()) == []
    assert sorted(r.alias for r in open_store(tmp_path).list()) == ["dev", "prod"]
    assert store.default_alias() == "dev"
    assert store.remove("dev") and store.default_alias() is None
    assert [r.alias for r in store.list()] == ["prod"]


def test_when_file_store_forced_with_a_keyring_then_its_key_lives_in_the_keyring(
    tmp_path: Path, memory_keyring: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FORCEGATE_PASSPHRASE", raising=False)
    store = open_store(tmp_path, backend="file")
    assert isinstance(store, EncryptedFileStore)
    store.save(_record())
    _secrets_absent((tmp_path / "connections.vault").read_bytes())
    assert open_store(tmp_path, backend="file").get("dev") is not None
    memory_keyring.entries.clear()  # the key is gone: the file cannot be read
    with pytest.raises(StoreError, match="wrong passphrase or key"):
        open_store(tmp_path, backend="file").list()


# --- logs -----------------------------------------------------------------------------------------


def test_when_everything_runs_at_debug_level_then_no_token_or_secret_in_the_logs(
    server: Server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the SDK's, httpx's, httpcore's, the server's
    port = free_port()
    app, secret = web_app(server, port, refresh_token_rotation=True)
    user = server.create_user()
    conn = connection(server, app, secret)
    session = conn.web_server_login(port=port, open_browser=browser(server, user), timeout=30)
    store = EncryptedFileStore(tmp_path / "connections.vault", passphrase="p")
    record = StoredConnection(
        "dbg", server.url, app.consumer_key, "web", consumer_secret=secret, session=session
    )
    store.save(record)
    manager = manager_for(record, store)
    manager.connection.clock = server.clock.now_ms
    server.clock.advance(7200)
    with httpx.Client(auth=SalesforceAuth(manager)) as client:
        assert client.get(f"{server.url}/services/oauth2/userinfo").status_code == 200
    assert manager.refresh_count == 1
    logging.getLogger("test").debug("session %r record %r", manager.session, record)
    manager.connection.revoke(str(manager.session.refresh_token))

    text = caplog.text
    assert "forcegate.client" in {r.name for r in caplog.records}  # the SDK did log
    for value in (
        session.access_token,
        session.refresh_token,
        manager.session.access_token,
        manager.session.refresh_token,
        secret,
    ):
        assert value and value not in text
