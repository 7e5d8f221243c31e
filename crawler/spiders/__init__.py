"""The spiders, one module per source, on the base classes in ``crawler.spiders.base``.

* ``eis``: the EIS extended search (44-FZ and 223-FZ), newest update first, then each new or
  changed notice's XML card (44-FZ) or mobile JSON (223-FZ);
* ``eis_rss``: the RSS feed of the same search, for cheap frequent polling, then the same cards;
* ``eis_follow``: the stored notices a profile matched or a person took, looked up one by one by
  registry number, to see their stage move (the EIS does not list that as an update).

A new source is a new module here: ``source_names()`` finds its spider, so the CLI, the
scheduler and the reports know it without a list to update (docs/sources.md walks through it).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache


@cache
def source_names() -> tuple[str, ...]:
    """The ``name`` of every spider defined in this package's modules, sorted."""
    from crawler.spiders.base import BaseSpider

    names = set()
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, BaseSpider)
                and cls.__module__ == module.__name__
                and getattr(cls, "name", None)
            ):
                names.add(cls.name)
    return tuple(sorted(names))
