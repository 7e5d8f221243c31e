"""The CA bundle shipped for zakupki.gov.ru and the names that point Scrapy at it (``crawler.tls``).

Apart from ``crawler.tls`` because importing Scrapy's TLS module costs about a second in a process
that has already loaded the CLI (its deprecation shims walk the stack and every loaded module): the
CLI needs only these names to configure a crawl, and the crawl process alone loads the factory.
"""

from __future__ import annotations

from pathlib import Path

SHIPPED_CA_BUNDLE = Path(__file__).parent / "russian_trusted_ca.pem"
"""Russian Trusted Root CA + Russian Trusted Sub CA (sources and fingerprints in the file and in
docs/eis-site.md)."""
CA_BUNDLE_SETTING = "TENDERWATCH_CA_BUNDLE"
CONTEXT_FACTORY = "crawler.tls.CaBundleContextFactory"
"""The value of Scrapy's DOWNLOADER_CLIENTCONTEXTFACTORY when a CA bundle is configured."""
