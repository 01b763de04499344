"""The development CA: files, permissions, signatures, names, reuse, and a real TLS handshake."""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import ssl
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from forcegate.devca import DevCertificates, create_dev_certificates, trust_instructions


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _assert_signed_by(cert: x509.Certificate, ca: x509.Certificate) -> None:
    ca_public_key = ca.public_key()
    assert isinstance(ca_public_key, ec.EllipticCurvePublicKey)
    assert cert.signature_hash_algorithm is not None
    ca_public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    assert cert.issuer == ca.subject


@pytest.fixture
def certs(tmp_path: Path) -> DevCertificates:
    return create_dev_certificates(tmp_path / "devca")


def test_files_and_key_permissions(tmp_path: Path, certs: DevCertificates) -> None:
    directory = tmp_path / "devca"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert certs.ca_cert == directory / "ca.pem"
    assert certs.ca_key == directory / "ca-key.pem"
    assert certs.cert == directory / "localhost.pem"
    assert certs.key == directory / "localhost-key.pem"
    for key in (certs.ca_key, certs.key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_ca_certificate(certs: DevCertificates) -> None:
    ca = _load(certs.ca_cert)
    assert ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "forcegate development CA"
    assert ca.issuer == ca.subject
    _assert_signed_by(ca, ca)
    ca_public_key = ca.public_key()
    assert isinstance(ca_public_key, ec.EllipticCurvePublicKey)
    assert ca_public_key.curve.name == "secp256r1"
    basic = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    assert basic.critical and basic.value.ca and basic.value.path_length == 0
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.key_cert_sign and usage.value.crl_sign
    ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    assert ca.not_valid_after_utc - ca.not_valid_before_utc == timedelta(days=3650)


def test_server_certificate(certs: DevCertificates) -> None:
    ca = _load(certs.ca_cert)
    cert = _load(certs.cert)

    ca_public_key = ca.public_key()
    assert isinstance(ca_public_key, ec.EllipticCurvePublicKey)
    ca_public_key.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(hashes.SHA256()))

    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    assert set(san.get_values_for_type(x509.IPAddress)) == {
        ipaddress.ip_address("127.0.0.1"),
        ipaddress.ip_address("::1"),
    }
    assert not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical and usage.value.digital_signature and not usage.value.key_cert_sign
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ExtendedKeyUsageOID.SERVER_AUTH]
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    assert aki.key_identifier == ski.digest
    assert cert.not_valid_after_utc - cert.not_valid_before_utc == timedelta(days=397)


def test_now_and_custom_names(tmp_path: Path) -> None:
    now = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    certs = create_dev_certificates(
        tmp_path, hostnames=("forcegate.test", "localhost"), ips=("10.0.0.7",), now=now
    )
    cert = _load(certs.cert)
    assert cert.not_valid_before_utc <= now < cert.not_valid_after_utc
    assert cert.not_valid_after_utc <= now + timedelta(days=397)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["forcegate.test", "localhost"]
    assert san.get_values_for_type(x509.IPAddress) == [ipaddress.ip_address("10.0.0.7")]


def test_second_call_reuses_ca_and_issues_new_server_certificate(certs: DevCertificates) -> None:
    ca_before = _load(certs.ca_cert)
    ca_key_before = certs.ca_key.read_bytes()
    cert_before = _load(certs.cert)
    server_key_before = certs.key.read_bytes()

    again = create_dev_certificates(certs.ca_cert.parent)
    assert again == certs

    ca_after = _load(again.ca_cert)
    assert ca_after.serial_number == ca_before.serial_number
    assert again.ca_key.read_bytes() == ca_key_before
    cert_after = _load(again.cert)
    assert cert_after.serial_number != cert_before.serial_number
    assert again.key.read_bytes() != server_key_before
    assert stat.S_IMODE(again.key.stat().st_mode) == 0o600
    _assert_signed_by(cert_after, ca_before)


def test_trust_instructions_use_absolute_paths(certs: DevCertificates) -> None:
    text = trust_instructions(certs)
    ca = str(certs.ca_cert.resolve())
    assert Path(ca).is_absolute()
    assert f"sudo cp {ca} /usr/local/share/ca-certificates/forcegate-dev-ca.crt" in text
    assert "sudo update-ca-certificates" in text
    assert f"-k /Library/Keychains/System.keychain {ca}" in text
    assert f"SSL_CERT_FILE={ca}" in text
    assert f"REQUESTS_CA_BUNDLE={ca}" in text
    assert f"NODE_EXTRA_CA_CERTS={ca}" in text
    assert f"forcegate serve --tls-cert {certs.cert.resolve()} --tls-key {certs.key.resolve()}" in text


@contextlib.contextmanager
def _tls_server(certs: DevCertificates) -> Iterator[int]:
    """A TLS server on a free loopback port that handshakes, sends b"ok" and closes, until stopped."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs.cert, certs.key)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(5)
                try:
                    with context.wrap_socket(conn, server_side=True) as tls:
                        tls.sendall(b"ok")
                except (ssl.SSLError, OSError):
                    pass  # the client refused our certificate: expected in one test

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def _handshake(port: int, context: ssl.SSLContext, server_hostname: str) -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname=server_hostname) as tls,
    ):
        return tls.recv(2)


def test_tls_handshake_trusting_the_ca(certs: DevCertificates) -> None:
    with _tls_server(certs) as port:
        trusting = ssl.create_default_context(cafile=str(certs.ca_cert))
        assert _handshake(port, trusting, "localhost") == b"ok"
        assert _handshake(port, trusting, "127.0.0.1") == b"ok"

        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(port, ssl.create_default_context(), "localhost")

        with pytest.raises(ssl.SSLCertVerificationError):
            _handshake(port, trusting, "not-in-the-certificate.example")
