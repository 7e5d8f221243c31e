"""Requests as JSON in Redis, not pickle: what a shared Redis holds must not be able to run code
in a worker that reads it (scrapy-redis pickles by default).

A request's dict (``Request.to_dict``) is plain JSON but for bytes (headers, body), the listed
``Notice`` a card request carries in its meta, and the Decimal/datetime values Scrapy or we may
put there; each is tagged. Anything else is refused with its type named, at push time, so a new
meta value cannot silently change meaning on its way through the queue.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from datetime import datetime
from decimal import Decimal
from typing import Any

from data.notice import Notice

_TAG = "__tw__"


def _tagged(value: Any) -> Any:
    if isinstance(value, bytes):
        return {_TAG: "bytes", "v": base64.b64encode(value).decode("ascii")}
    if isinstance(value, Notice):
        return {_TAG: "notice", "v": value.model_dump(mode="json")}
    if isinstance(value, Decimal):
        return {_TAG: "decimal", "v": str(value)}
    if isinstance(value, datetime):
        return {_TAG: "datetime", "v": value.isoformat()}
    if isinstance(value, date):
        return {_TAG: "date", "v": value.isoformat()}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "v": [_tagged(v) for v in value]}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                return {_TAG: "pairs", "v": [[_tagged(k), _tagged(v)] for k, v in value.items()]}
        return {k: _tagged(v) for k, v in value.items()}
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a {type(value).__name__} cannot travel through the shared frontier: {value!r}")


_READERS: dict[str, Any] = {
    "bytes": lambda v: base64.b64decode(v),
    "notice": Notice.model_validate,
    "decimal": Decimal,
    "datetime": datetime.fromisoformat,
    "date": date.fromisoformat,
    "tuple": lambda v: tuple(_untagged(x) for x in v),
    "pairs": lambda v: {_untagged(k): _untagged(x) for k, x in v},
}


def _untagged(value: Any) -> Any:
    if isinstance(value, list):
        return [_untagged(v) for v in value]
    if isinstance(value, dict):
        tag = value.get(_TAG)
        if tag is not None:
            return _READERS[tag](value["v"])
        return {k: _untagged(v) for k, v in value.items()}
    return value


def dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(_tagged(obj), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def loads(data: bytes | str) -> dict[str, Any]:
    loaded = _untagged(json.loads(data))
    if not isinstance(loaded, dict):
        raise ValueError("a frontier entry is not a request")
    return loaded
