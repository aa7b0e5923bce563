"""Hooks the fuzzer loads (SCHEMATHESIS_HOOKS): what a schema cannot say about a request."""

import uuid
from typing import Any

import schemathesis


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """An Idempotency-Key is unique to its request: the schema can only say it is text, so the
    fuzzer would send one value with many requests, each rightly refused as another's key."""
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() == "idempotency-key":
            headers[name] = str(uuid.uuid4())
