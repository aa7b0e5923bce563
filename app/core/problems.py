"""The kinds of problem the API answers with, each with one title and a page that describes it.

A problem's `type` is `/problems/{kind}`, relative to the API's own address, and that address
answers with a page describing it (`app/core/errors.py` serves them), so that a client, or a
person, can follow it to learn what went wrong.
"""

from dataclasses import dataclass
from http import HTTPStatus


@dataclass(frozen=True, slots=True)
class ProblemType:
    kind: str
    title: str
    status: int
    description: str

    @property
    def uri(self) -> str:
        return f"/problems/{self.kind}"


PROBLEM_TYPES: dict[str, ProblemType] = {
    p.kind: p
    for p in (
        ProblemType(
            "bad-request",
            "Bad request",
            400,
            "The request could not be read at all, e.g. a multipart upload that is cut short. "
            "Send it again, whole.",
        ),
        ProblemType(
            "unauthorized",
            "Unauthorized",
            401,
            "No `Authorization: Bearer` token was sent, or the token is unknown or revoked. "
            "Tokens are made with `tracker token create`.",
        ),
        ProblemType(
            "forbidden",
            "Forbidden",
            403,
            "The token is known but may not do this: a viewer only reads, a lead writes only in "
            "the strands the token names, and some calls are for admins only.",
        ),
        ProblemType(
            "not-found",
            "Not found",
            404,
            "Nothing has that id, slug, ref or quarter, or the address is not one the API "
            "answers. `detail` names what was looked for.",
        ),
        ProblemType(
            "method-not-allowed",
            "Method not allowed",
            405,
            "The address exists but does not take this method; the `Allow` header lists the "
            "ones it takes.",
        ),
        ProblemType(
            "conflict",
            "Conflict",
            409,
            "The change clashes with what is recorded: a name or number already taken, an event "
            "dated into a closed quarter, or another change made at the same moment. Nothing "
            "was written; `detail` (and `errors`, where there are several) says what clashed.",
        ),
        ProblemType(
            "idempotency-key-in-use",
            "Idempotency key in use",
            409,
            "A request with the same `Idempotency-Key` is still being processed. Wait for the "
            "`Retry-After` seconds and send it again: you will get the first request's answer.",
        ),
        ProblemType(
            "precondition-failed",
            "Precondition failed",
            412,
            "The record changed since you read it: the ETag sent in `If-Match` is no longer "
            "current. The answer carries `current_etag` (and the record as it now stands); read "
            "it, re-apply your change and send it with the new ETag.",
        ),
        ProblemType(
            "payload-too-large",
            "Payload too large",
            413,
            "The request body is larger than this server takes (`TRACKER_MAX_BODY_BYTES` for "
            "JSON, `TRACKER_IMPORT_MAX_BYTES` for uploads).",
        ),
        ProblemType(
            "validation-error",
            "Validation error",
            422,
            "Some input is not valid: a field of the body, a query parameter (unknown ones are "
            "refused too) or a header. `errors` lists each `{field, message}`; nothing was "
            "written.",
        ),
        ProblemType(
            "idempotency-key-reused",
            "Idempotency key reused",
            422,
            "This `Idempotency-Key` was already used for a different request (another address, "
            "query or body). Use a new key for a new request.",
        ),
        ProblemType(
            "precondition-required",
            "Precondition required",
            428,
            "This change needs `If-Match` with the ETag of the record you are changing, so that "
            "two people never overwrite each other silently. GET the record first.",
        ),
        ProblemType(
            "too-many-requests",
            "Too many requests",
            429,
            "Too many writes from this token in a short time. Wait for the `Retry-After` "
            "seconds; the limit is `TRACKER_WRITE_RATE_PER_MINUTE` with a burst of "
            "`TRACKER_WRITE_BURST`.",
        ),
        ProblemType(
            "internal-error",
            "Internal server error",
            500,
            "Something went wrong on the server's side. It has been logged with the request's "
            "id (the `X-Request-ID` header); nothing was written.",
        ),
        ProblemType(
            "unavailable",
            "Service unavailable",
            503,
            "The database is busy, unavailable or not migrated. Try again after the "
            "`Retry-After` seconds.",
        ),
    )
}

KIND_OF_STATUS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    412: "precondition-failed",
    413: "payload-too-large",
    422: "validation-error",
    428: "precondition-required",
    429: "too-many-requests",
    500: "internal-error",
    503: "unavailable",
}


def problem_type(kind: str | None, status: int) -> ProblemType:
    """The registered kind, else the one of its status, else a plain one named by the status."""
    found = PROBLEM_TYPES.get(kind or "") or PROBLEM_TYPES.get(KIND_OF_STATUS.get(status, ""))
    if found is not None:
        return found
    phrase = HTTPStatus(status).phrase
    return ProblemType("about:blank", phrase, status, phrase)
