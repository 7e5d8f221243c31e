"""The crawl process's Scrapy settings: what must stay off, whatever Scrapy's defaults become."""

from __future__ import annotations

import pytest
from scrapy import Spider
from scrapy.exceptions import NotConfigured
from scrapy.extensions.remote_control import RemoteControl
from scrapy.extensions.telnet import TelnetConsole
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler

from crawler import settings as crawl_settings


@pytest.mark.parametrize("console", [TelnetConsole, RemoteControl])
def test_the_telnet_and_remote_control_consoles_refuse_to_start(console):
    """Both consoles run code sent to them (both are on by Scrapy's default); a crawl process
    must start neither."""
    settings = Settings()
    settings.setmodule(crawl_settings, priority="project")
    switches = ("TELNETCONSOLE_ENABLED", "REMOTE_CONTROL_ENABLED")  # the rest wants a running reactor
    crawler = get_crawler(Spider, {name: settings[name] for name in switches})
    with pytest.raises(NotConfigured) as refused:
        console.from_crawler(crawler)
    assert refused.value.args == (), "refused for another reason than its switch"
