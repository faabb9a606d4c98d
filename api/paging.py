"""Stable cursor paging: the cursor is the last id seen, opaque to clients."""

from __future__ import annotations

import base64
import json

from flask import abort, request

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": last_id}).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The id to continue after; a malformed cursor is a 400, not a crash."""
    if not cursor:
        return 0
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
        after = int(value["after"])
    except (ValueError, KeyError, TypeError, json.JSONDecodeError):
        abort(400, description="invalid cursor")
    if after < 0:
        abort(400, description="invalid cursor")
    return after


def page_args() -> tuple[int, int]:
    """(after_id, limit) from the query string."""
    try:
        limit = int(request.args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        abort(400, description="invalid limit")
    if not 1 <= limit <= MAX_LIMIT:
        abort(400, description="invalid limit")
    return decode_cursor(request.args.get("cursor")), limit


def page_of(stmt, id_column, serialise, session):
    """Run a keyset-paged query and wrap it as {"data": [...], "next_cursor": ...}."""
    after, limit = page_args()
    rows = list(session.scalars(stmt.where(id_column > after).order_by(id_column).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"data": [serialise(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].id) if more and rows else None}
