"""TLS end to end: a local https replay whose certificate comes from its own CA, as zakupki.gov.ru's
comes from НУЦ Минцифры, which the system trust store lacks.

The crawl succeeds only with a bundle holding that CA; without it, the run fails and says so in
words (a TLS certificate problem, with the URL), not as a Twisted failure list.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ssl

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from OpenSSL import crypto

from crawler.certs import SHIPPED_CA_BUNDLE
from crawler.replay.server import start_replay
from crawler.replay.snapshot import build_snapshot
from crawler.runner import CrawlConfig
from crawler.runner import run_crawl
from tests.crawler.crawl_helpers import NOW
from tests.crawler.crawl_helpers import fast_config
from tests.crawler.crawl_helpers import mismatches

pytestmark = pytest.mark.slow


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def _own_ca_site(tmp_path):
    """A CA and a localhost certificate it signed: (CA PEM path, server context)."""
    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("Test Trusted Root CA"))
        .issuer_name(_name("Test Trusted Root CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    ca_path = tmp_path / "own-ca.pem"
    ca_path.write_bytes(ca.public_bytes(pem))
    chain = tmp_path / "site.pem"
    chain.write_bytes(
        leaf.public_bytes(pem)
        + key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return ca_path, context


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("tls")
    ca_path, context = _own_ca_site(tmp)
    snapshot = build_snapshot(seed=8, count=12, now=NOW)
    with start_replay(snapshot, tls=context) as server:
        yield snapshot, f"https://localhost:{server.port}", ca_path


def _config(tmp_path, base_url: str, ca_bundle: str | None) -> CrawlConfig:
    return dataclasses.replace(fast_config(f"sqlite:///{tmp_path / 'tls.db'}", base_url), ca_bundle=ca_bundle)


def test_a_crawl_trusts_the_site_through_the_ca_bundle(site, tmp_path):
    snapshot, base_url, ca_path = site
    config = _config(tmp_path, base_url, str(ca_path))
    summary = run_crawl("eis", config=config)
    assert summary.outcome == "ok", (summary.reason, summary.log_tail[-5:])
    assert mismatches(config.database_url, snapshot) == []


def test_without_its_ca_the_crawl_fails_and_says_it_is_the_certificate(site, tmp_path):
    _, base_url, _ = site
    summary = run_crawl("eis", config=_config(tmp_path, base_url, None))  # the shipped Минцифры bundle only
    assert summary.outcome == "failed", summary.reason
    assert summary.errors_by_kind == {"tls_certificate": summary.errors}, (summary.reason, summary.log_tail)
    assert "TLS certificate of localhost not trusted" in (summary.reason or ""), summary.reason
    assert "crawler.ca_bundle" in (summary.reason or "")


def test_the_shipped_bundle_is_the_mintsifry_root_and_its_sub_ca():
    text = SHIPPED_CA_BUNDLE.read_bytes()
    certificates = x509.load_pem_x509_certificates(text)
    root, sub = certificates
    assert root.subject.rfc4514_string() == (
        "CN=Russian Trusted Root CA,O=The Ministry of Digital Development and Communications,C=RU"
    )
    assert root.fingerprint(hashes.SHA256()).hex() == (
        "d26d2d0231b7c39f92cc738512ba54103519e4405d68b5bd703e9788ca8ecf31"
    )
    assert sub.issuer == root.subject and "Russian Trusted Sub CA" in sub.subject.rfc4514_string()
    store = crypto.X509Store()
    store.add_cert(crypto.X509.from_cryptography(root))
    # The sub-CA's signature checks out against the root (raises otherwise). Checked at a time
    # both are valid, so the test does not start failing when the sub-CA expires in March 2027.
    store.set_time(dt.datetime(2026, 1, 1))
    crypto.X509StoreContext(store, crypto.X509.from_cryptography(sub)).verify_certificate()
    https = CrawlConfig(database_url="sqlite://", base_url="https://zakupki.gov.ru").scrapy_settings()
    assert https["TENDERWATCH_CA_BUNDLE"] == str(SHIPPED_CA_BUNDLE)
