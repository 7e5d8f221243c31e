"""TLS for the EIS: verify certificates against the system roots plus an extra CA bundle.

zakupki.gov.ru serves a certificate issued by the Russian Ministry of Digital Development's CA
(НУЦ Минцифры), which most system trust stores lack. Scrapy either verifies against the system
roots only or not at all; ``TENDERWATCH_CA_BUNDLE`` (a PEM file) adds those roots. The project
ships the Минцифры root and its sub-CA (``SHIPPED_CA_BUNDLE``; Twisted does not fetch a missing
intermediate, so the sub-CA is in it too) and uses them for every https crawl unless
``crawler.ca_bundle`` names another file (the names that say so are in ``crawler.certs``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from typing import cast

from OpenSSL import SSL
from scrapy.core.downloader.contextfactory import _ScrapyClientContextFactory
from scrapy.crawler import Crawler
from twisted.internet._sslverify import IOpenSSLTrustRoot
from twisted.internet.interfaces import IOpenSSLClientConnectionCreator
from twisted.internet.ssl import optionsForClientTLS
from zope.interface import implementer

from crawler.certs import CA_BUNDLE_SETTING
from crawler.errors import CrawlSettingsError


@implementer(IOpenSSLTrustRoot)
class SystemRootsPlusBundle:
    """The platform's trusted roots and every certificate in ``bundle``."""

    def __init__(self, bundle: Path) -> None:
        self.bundle = bundle

    def _addCACertsToContext(self, context: SSL.Context) -> None:
        context.set_default_verify_paths()
        context.load_verify_locations(str(self.bundle))


class CaBundleContextFactory(_ScrapyClientContextFactory):
    """Scrapy's context factory, verifying with ``SystemRootsPlusBundle`` when a bundle is set."""

    def __init__(self, *args: Any, ca_bundle: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ca_bundle = Path(ca_bundle) if ca_bundle else None
        if self.ca_bundle is not None and not self.ca_bundle.is_file():
            raise CrawlSettingsError(f"{CA_BUNDLE_SETTING}={ca_bundle!r}: no such PEM file")

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> CaBundleContextFactory:
        kwargs["ca_bundle"] = crawler.settings.get(CA_BUNDLE_SETTING) or ""
        return super().from_crawler(crawler, *args, **kwargs)

    def creatorForNetloc(self, hostname: bytes, port: int) -> IOpenSSLClientConnectionCreator:
        if self.ca_bundle is None or not self._verify_certificates:
            # Scrapy types its ClientTLSOptions; Twisted's interface is what both provide.
            return cast(IOpenSSLClientConnectionCreator, super().creatorForNetloc(hostname, port))
        return optionsForClientTLS(
            hostname=hostname.decode("ascii"),
            # zope's @implementer is invisible to mypy (no mypy-zope here): the class provides it.
            trustRoot=cast(IOpenSSLTrustRoot, SystemRootsPlusBundle(self.ca_bundle)),
            extraCertificateOptions=self._get_cert_options_kwargs(),
        )
