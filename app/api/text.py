"""Text and JSON a client sends for storage: only what every supported database can hold.

PostgreSQL refuses NUL characters in text and in JSONB, and no backend can encode a lone
UTF-16 surrogate (JSON's ``"\\ud800"``) as UTF-8; both were server errors at insert time.
They are refused at the door instead, as validation problems naming the field. Metadata is
bounded too: it is returned by every listing, so its size is every listing's size.
"""

import json
from typing import Annotated, Any

from pydantic import AfterValidator

MAX_METADATA_BYTES = 16 * 1024
MAX_METADATA_DEPTH = 8


def _storable(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters (U+0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode (no unpaired surrogates)") from None
    return value


def _storable_json(value: dict[str, Any]) -> dict[str, Any]:
    _check_nested(value, depth=1)
    size = len(json.dumps(value, ensure_ascii=False).encode("utf-8"))
    if size > MAX_METADATA_BYTES:
        raise ValueError(f"is {size:,} bytes as JSON; the limit is {MAX_METADATA_BYTES:,}")
    return value


def _check_nested(value: object, depth: int) -> None:
    if depth > MAX_METADATA_DEPTH:
        raise ValueError(f"nests deeper than {MAX_METADATA_DEPTH} levels")
    if isinstance(value, str):
        _storable(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            _storable(key)
            _check_nested(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_nested(item, depth + 1)


StoredText = Annotated[str, AfterValidator(_storable)]
Metadata = Annotated[dict[str, Any], AfterValidator(_storable_json)]
