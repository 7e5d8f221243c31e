"""The spiders, one module per source, on the base classes in ``crawler.spiders.base``.

* ``eis``: the EIS extended search (44-FZ and 223-FZ), newest update first, then each new or
  changed notice's XML card (44-FZ) or mobile JSON (223-FZ);
* ``eis_rss``: the RSS feed of the same search, for cheap frequent polling, then the same cards.
"""
