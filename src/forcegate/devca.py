"""A local development certificate authority, so forcegate can serve HTTPS on a developer's machine.

Some real OAuth clients refuse to talk to an authorization server over plain ``http`` (or refuse
``http`` callback and instance URLs), so trying them against a local forcegate needs TLS. This module
makes a small private CA and, signed by it, a server certificate for ``localhost`` and the loopback
addresses; trust the CA once and the server certificate can be reissued at will.

Nothing here is for production: the keys are written unencrypted to disk, the CA can sign a
certificate for any name, and whoever can read ``ca-key.pem`` can impersonate any site to a machine
that trusts the CA. Keep the directory private and never trust this CA anywhere but a development
machine.
"""

from __future__ import annotations

import ipaddress
import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["DevCertificates", "create_dev_certificates", "trust_instructions"]

CA_CERT_NAME = "ca.pem"
CA_KEY_NAME = "ca-key.pem"
SERVER_CERT_NAME = "localhost.pem"
SERVER_KEY_NAME = "localhost-key.pem"

CA_COMMON_NAME = "forcegate development CA"
CA_VALIDITY = timedelta(days=3650)
# Browsers reject server certificates valid for longer than 398 days.
SERVER_VALIDITY = timedelta(days=397)
# Start validity a little in the past so a slightly slow clock elsewhere does not reject a new certificate.
BACKDATE = timedelta(minutes=5)


@dataclass(frozen=True)
class DevCertificates:
    """Where the development CA and the server certificate it signed were written."""

    ca_cert: Path
    ca_key: Path
    cert: Path
    key: Path


def create_dev_certificates(
    directory: Path,
    hostnames: Sequence[str] = ("localhost",),
    ips: Sequence[str] = ("127.0.0.1", "::1"),
    now: datetime | None = None,
) -> DevCertificates:
    """Create (or reuse) the development CA in ``directory`` and issue a fresh server certificate.

    The CA (``ca.pem``, ``ca-key.pem``) is reused when both files already exist, so a CA that has
    been trusted stays trusted; the server certificate (``localhost.pem``, ``localhost-key.pem``) is
    always new, valid for ``hostnames`` and ``ips``.
    """
    if isinstance(hostnames, str) or isinstance(ips, str):
        raise TypeError("hostnames and ips are sequences of strings, not a single string")
    if not hostnames and not ips:
        raise ValueError("the server certificate needs at least one hostname or IP address")
    ip_addresses = [ipaddress.ip_address(ip) for ip in ips]
    now = _utc(now)

    directory = Path(directory).resolve()
    if not directory.exists():
        directory.mkdir(mode=0o700, parents=True)
        directory.chmod(0o700)  # mkdir's mode is filtered by the umask

    certs = DevCertificates(
        ca_cert=directory / CA_CERT_NAME,
        ca_key=directory / CA_KEY_NAME,
        cert=directory / SERVER_CERT_NAME,
        key=directory / SERVER_KEY_NAME,
    )

    if certs.ca_cert.exists() and certs.ca_key.exists():
        ca_cert, ca_key = _load_ca(certs.ca_cert, certs.ca_key, now)
    else:
        ca_cert, ca_key = _new_ca(now)
        _write_private_key(certs.ca_key, ca_key)
        certs.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))

    server_cert, server_key = _new_server_certificate(ca_cert, ca_key, hostnames, ip_addresses, now)
    _write_private_key(certs.key, server_key)
    certs.cert.write_bytes(server_cert.public_bytes(serialization.Encoding.PEM))
    return certs


def trust_instructions(certs: DevCertificates) -> str:
    """How to make the usual tools trust the development CA, and how to start forcegate with TLS."""
    ca = shlex.quote(str(certs.ca_cert.resolve()))
    cert = shlex.quote(str(certs.cert.resolve()))
    key = shlex.quote(str(certs.key.resolve()))
    return f"""\
forcegate development CA: {ca}
Server certificate:       {cert}
Server private key:       {key}

Trust the CA (once; reissuing the server certificate keeps the same CA). For development only:
anyone holding the CA key can impersonate any site to a machine that trusts it.

  Debian / Ubuntu (system store):
    sudo cp {ca} /usr/local/share/ca-certificates/forcegate-dev-ca.crt && sudo update-ca-certificates

  macOS (System keychain):
    sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain {ca}

  Python (httpx, ssl, urllib) and requests (per process; note these replace the default CA bundle):
    export SSL_CERT_FILE={ca}
    export REQUESTS_CA_BUNDLE={ca}

  Node.js (jsforce, sf CLI; added to the default CAs):
    export NODE_EXTRA_CA_CERTS={ca}

Start forcegate over HTTPS:
    forcegate serve --tls-cert {cert} --tls-key {key}
"""


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        return now.replace(tzinfo=UTC)
    return now.astimezone(UTC)


def _new_ca(now: datetime) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME)])
    not_before = now - BACKDATE
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_before + CA_VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _load_ca(
    cert_path: Path, key_path: Path, now: datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
    key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{key_path} is not an ECDSA private key")
    if cert.public_key() != key.public_key():
        raise ValueError(f"{key_path} is not the private key of {cert_path}")
    if cert.not_valid_after_utc <= now:
        raise ValueError(
            f"the development CA {cert_path} expired on {cert.not_valid_after_utc:%Y-%m-%d}; "
            f"delete {cert_path} and {key_path} to make a new one (and trust it again)"
        )
    return cert, key


def _new_server_certificate(
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    hostnames: Sequence[str],
    ips: Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address],
    now: datetime,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    common_name = hostnames[0] if hostnames else str(ips[0])
    sans: list[x509.GeneralName] = [x509.DNSName(h) for h in hostnames]
    sans += [x509.IPAddress(ip) for ip in ips]

    try:
        ca_ski = ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski)
    except x509.ExtensionNotFound:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())

    not_before = now - BACKDATE
    # Never outlive the CA that signed it.
    not_after = min(not_before + SERVER_VALIDITY, ca_cert.not_valid_after_utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(aki, critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, key


def _write_private_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    """Write ``key`` as unencrypted PKCS8 PEM, readable by the owner only (also if the file existed)."""
    pem = key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # an existing file would otherwise keep its old mode
        f.write(pem)
