"""Getting notices from sources (Scrapy spiders, parsers, the EIS replay)."""
