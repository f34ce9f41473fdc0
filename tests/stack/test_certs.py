from __future__ import annotations

from pathlib import Path

import yaml
from cryptography import x509

from wetest.stack import apiaudit, certs


def test_serving_cert_chains_to_the_serving_ca_and_names_loopback(tmp_path: Path) -> None:
    written = certs.write_control_plane(tmp_path)
    leaf = x509.load_pem_x509_certificate((tmp_path / "apiserver.crt").read_bytes())
    ca = x509.load_pem_x509_certificate(written.serving_ca_pem)
    leaf.verify_directly_issued_by(ca)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "localhost" in sans.get_values_for_type(x509.DNSName)
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_admin_is_in_system_masters_and_signed_by_the_client_ca(tmp_path: Path) -> None:
    written = certs.write_control_plane(tmp_path)
    admin = x509.load_pem_x509_certificate(written.admin.cert_pem)
    admin.verify_directly_issued_by(x509.load_pem_x509_certificate(written.client_ca.read_bytes()))
    orgs = admin.subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)
    assert [o.value for o in orgs] == ["system:masters"]


def test_kubeconfig_embeds_everything(tmp_path: Path) -> None:
    written = certs.write_control_plane(tmp_path)
    doc = yaml.safe_load(
        certs.kubeconfig("https://127.0.0.1:1", written.serving_ca_pem, written.admin)
    )
    assert doc["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:1"
    assert set(doc["users"][0]["user"]) == {"client-certificate-data", "client-key-data"}


def test_each_component_has_its_own_identity_in_system_masters(tmp_path: Path) -> None:
    written = certs.write_control_plane(tmp_path)
    ca = x509.load_pem_x509_certificate(written.client_ca.read_bytes())
    names = {}
    for component, pair in written.users.items():
        cert = x509.load_pem_x509_certificate(pair.cert_pem)
        cert.verify_directly_issued_by(ca)
        subject = cert.subject
        names[component] = subject.get_attributes_for_oid(x509.oid.NameOID.COMMON_NAME)[0].value
        orgs = subject.get_attributes_for_oid(x509.oid.NameOID.ORGANIZATION_NAME)
        assert [o.value for o in orgs] == ["system:masters"]
    assert names == apiaudit.USERS
    assert len(set(names.values())) == len(names)
