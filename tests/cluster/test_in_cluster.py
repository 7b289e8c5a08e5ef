"""In a pod: the service account's token and CA, and HTTPS to the API server (a real TLS server
on 127.0.0.1 with a certificate made for the test)."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from reporter.errors import InputError
from reporter.inventory.cluster import read_cluster
from reporter.inventory.kubeconfig import ClusterAccess

from .apiserver import TOKEN, FakeApiServer, canned_objects, serve


def _certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name,
                 signer: ec.EllipticCurvePrivateKey, ca: bool) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        # The extensions strict verification (Python 3.13's default) requires, as a
        # cluster's CA (kubeadm's, say) issues them.
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=ca, crl_sign=ca,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()),
                       critical=False)
    )
    if not ca:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False).add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    return builder.sign(signer, hashes.SHA256())


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def tls_api(tmp_path: Path) -> Iterator[tuple[FakeApiServer, Path]]:
    """An HTTPS API server, and the CA certificate that signed its certificate."""
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(
        ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-cluster-ca")])
    ca = _certificate("test-cluster-ca", ca_key, ca_name, ca_key, ca=True)
    server = _certificate("kube-apiserver", server_key, ca_name, ca_key, ca=False)
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    (tmp_path / "server.pem").write_bytes(_pem(server) + server_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "server.pem")
    for api in serve(FakeApiServer(canned_objects()), tls=context):
        yield api, tmp_path / "ca.pem"


def _pod_environment(api: FakeApiServer, home: Path) -> dict[str, str]:
    port = api.url.rpartition(":")[2]
    return {"HOME": str(home), "KUBERNETES_SERVICE_HOST": "127.0.0.1",
            "KUBERNETES_SERVICE_PORT": port}


def _service_account(directory: Path, ca: bytes) -> Path:
    directory.mkdir()
    (directory / "token").write_text(TOKEN)
    (directory / "ca.crt").write_bytes(ca)
    return directory


def test_in_a_pod_the_service_account_reads_the_cluster_over_tls(
    tls_api: tuple[FakeApiServer, Path], tmp_path: Path
) -> None:
    api, ca = tls_api
    account = _service_account(tmp_path / "serviceaccount", ca.read_bytes())
    state = read_cluster(ClusterAccess(environ=_pod_environment(api, tmp_path),
                                       service_account_dir=str(account)))
    assert (state.context, state.server) == ("in-cluster", api.url)
    assert api.url.startswith("https://127.0.0.1:")
    assert sum(len(listed.items) for listed in state.lists) == 21
    assert {r.authorization for r in api.requests} == {f"bearer {TOKEN}"}


def test_a_server_certificate_the_ca_did_not_sign_is_refused(
    tls_api: tuple[FakeApiServer, Path], tmp_path: Path
) -> None:
    api, _ = tls_api
    other_key = ec.generate_private_key(ec.SECP256R1())
    other_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "another-ca")])
    other_ca = _certificate("another-ca", other_key, other_name, other_key, ca=True)
    account = _service_account(tmp_path / "serviceaccount", _pem(other_ca))
    with pytest.raises(InputError) as caught:
        read_cluster(ClusterAccess(environ=_pod_environment(api, tmp_path),
                                   service_account_dir=str(account)))
    assert str(caught.value) == (f"cannot reach the API server of context 'in-cluster' at "
                                 f"{api.url}: TLS verification failed")
    assert api.requests == []
