"""The spiders, one module per source, on the base classes in ``crawler.spiders.base``.

* ``eis``: the EIS extended search (44-FZ and 223-FZ), newest update first, then each new or
  changed notice's XML card (44-FZ) or mobile JSON (223-FZ);
* ``eis_rss``: the RSS feed of the same search, for cheap frequent polling, then the same cards;
* ``eis_follow``: the stored notices a profile matched or a person took, looked up one by one by
  registry number, to see their stage move (the EIS does not list that as an update);
* ``eis_site_results``: the protocols of stored purchases past their deadline, from the site's
  results tab and the protocol's bid list;
* ``eis_rnp``: our company and the winners looked up in the register of unfair suppliers;
* ``eis_export`` and ``eis_results``: the export service (needs a token): whole days of documents,
  and the protocols and contracts of stored purchases.

A new source is a new module here: ``source_names()`` finds its spider, so the CLI, the
scheduler and the reports know it without a list to update (docs/sources.md walks through it).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the spiders import Scrapy: loaded when first asked for, not on import
    from crawler.spiders.base import BaseSpider


@cache
def spider_classes() -> dict[str, type[BaseSpider]]:
    """Every spider defined in this package's modules, by its ``name``, sorted."""
    from crawler.spiders.base import BaseSpider

    found = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseSpider)
                and cls.__module__ == module.__name__
                and getattr(cls, "name", None)
            ):
                found[cls.name] = cls
    return dict(sorted(found.items()))


def source_names() -> tuple[str, ...]:
    """The ``name`` of every spider, sorted."""
    return tuple(spider_classes())


def sources_taking(argument: str) -> list[str]:
    """The sources whose spider accepts a spider argument (``reg_numbers``: ``eis_follow``)."""
    return [name for name, cls in spider_classes().items() if argument in cls.arguments_accepted]
