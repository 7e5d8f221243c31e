"""Reference data shipped with the package: subjects of the Russian Federation and OKPD2 classes.

The tables are CSV files next to this package so a reviewer can diff them; each module loads
its table once, on first use, and answers every lookup from memory.
"""

from __future__ import annotations


class ReferenceDataError(ValueError):
    """A shipped reference table is malformed (names the file, the line and the problem).

    Lookups never raise it for a bad *input*: they answer ``None`` so a parser can fall back
    to the next source. It only fires when the package itself is broken.
    """
