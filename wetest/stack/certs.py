"""A tiny CA, kube-apiserver serving certificates, client certificates and a kubeconfig.

Modelled on controller-runtime's TinyCA: ECDSA P-256 keys, certificates valid 168 h. Three
separate roots, as envtest keeps them: one signs the serving certificate (clients verify
against it), one signs service-account tokens, one signs client certificates (``--client-ca-file``).
"""

from __future__ import annotations

import base64
import datetime as dt
import ipaddress
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from wetest.stack import apiaudit

VALIDITY = dt.timedelta(hours=168)


@dataclass(frozen=True)
class KeyPair:
    """A certificate and its private key, both PEM."""

    cert_pem: bytes
    key_pem: bytes


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _name(common: str, orgs: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    return x509.Name([*attrs, x509.NameAttribute(NameOID.COMMON_NAME, common)])


class TinyCA:
    """A self-signed root that issues leaf certificates."""

    def __init__(self, common: str) -> None:
        self.key = _key()
        now = dt.datetime.now(dt.UTC)
        self.cert = (
            x509.CertificateBuilder()
            .subject_name(_name(common))
            .issuer_name(_name(common))
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, True, True, False, False),
                critical=True,
            )
            .sign(self.key, hashes.SHA256())
        )

    @property
    def pair(self) -> KeyPair:
        return KeyPair(self.cert.public_bytes(serialization.Encoding.PEM), _pem_key(self.key))

    def issue(
        self,
        common: str,
        orgs: tuple[str, ...] = (),
        hosts: tuple[str, ...] = (),
        server: bool = False,
    ) -> KeyPair:
        """Issue a leaf certificate: a serving cert when hosts are given, else a client cert."""
        key = _key()
        now = dt.datetime.now(dt.UTC)
        usage = (
            x509.oid.ExtendedKeyUsageOID.SERVER_AUTH
            if server
            else x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH
        )
        builder = (
            x509.CertificateBuilder()
            .subject_name(_name(common, orgs))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + VALIDITY)
            .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        )
        if hosts:
            builder = builder.add_extension(
                x509.SubjectAlternativeName(_sans(hosts)), critical=False
            )
        cert = builder.sign(self.key, hashes.SHA256())
        return KeyPair(cert.public_bytes(serialization.Encoding.PEM), _pem_key(key))


def _sans(hosts: tuple[str, ...]) -> list[x509.GeneralName]:
    out: list[x509.GeneralName] = []
    for host in hosts:
        try:
            out.append(x509.IPAddress(ipaddress.ip_address(host)))
        except ValueError:
            out.append(x509.DNSName(host))
    return out


@dataclass(frozen=True)
class ControlPlaneCerts:
    """Paths of everything kube-apiserver and its clients need, inside one directory."""

    dir: Path
    serving_ca: Path
    client_ca: Path
    sa_key: Path
    sa_pub: Path
    admin: KeyPair
    serving_ca_pem: bytes
    users: dict[str, KeyPair] = field(default_factory=dict)


def write_control_plane(cert_dir: Path) -> ControlPlaneCerts:
    """Write apiserver.crt/key (picked up by --cert-dir), CAs, SA keys; return client creds.

    Besides the admin (for people: `wetest up` prints its kubeconfig) each component gets a
    client certificate of its own (``apiaudit.USERS``), so the audit log tells their calls apart.
    """
    cert_dir.mkdir(parents=True, exist_ok=True)
    serving_ca, client_ca, sa = (
        TinyCA("wetest-serving-ca"),
        TinyCA("wetest-client-ca"),
        TinyCA("wetest-sa-signer"),
    )
    serving = serving_ca.issue("kube-apiserver", hosts=("localhost", "127.0.0.1"), server=True)
    files = {
        "apiserver.crt": serving.cert_pem,
        "apiserver.key": serving.key_pem,
        "serving-ca.crt": serving_ca.pair.cert_pem,
        "client-ca.crt": client_ca.pair.cert_pem,
        "sa.crt": sa.pair.cert_pem,
        "sa.key": sa.pair.key_pem,
    }
    for name, data in files.items():
        (cert_dir / name).write_bytes(data)
        (cert_dir / name).chmod(0o600)
    admin = client_ca.issue(apiaudit.ADMIN_USER, orgs=("system:masters",))
    users = {
        actor: client_ca.issue(user, orgs=("system:masters",))
        for actor, user in apiaudit.USERS.items()
    }
    return ControlPlaneCerts(
        cert_dir,
        cert_dir / "serving-ca.crt",
        cert_dir / "client-ca.crt",
        cert_dir / "sa.key",
        cert_dir / "sa.crt",
        admin,
        serving_ca.pair.cert_pem,
        users,
    )


def kubeconfig(server: str, ca_pem: bytes, user: KeyPair, name: str = "wetest") -> str:
    """Return a kubeconfig with the CA and client certificate embedded (no file references)."""

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    doc = {
        "apiVersion": "v1",
        "kind": "Config",
        "current-context": name,
        "clusters": [
            {"name": name, "cluster": {"server": server, "certificate-authority-data": b64(ca_pem)}}
        ],
        "users": [
            {
                "name": name,
                "user": {
                    "client-certificate-data": b64(user.cert_pem),
                    "client-key-data": b64(user.key_pem),
                },
            }
        ],
        "contexts": [{"name": name, "context": {"cluster": name, "user": name}}],
    }
    return yaml.safe_dump(doc, sort_keys=False)
