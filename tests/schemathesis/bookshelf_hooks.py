"""schemathesis hooks for Bookshelf (loaded by scripts/schemathesis.sh).

POST /books: generated `Idempotency-Key`s repeat across cases, and a repeated
key replays the first create's answer, by design even after that book was
deleted: schemathesis' stateful check "created resource not found" then sees a
201 for a book that is gone. Each case's key is made its own (a uuid is
appended; an invalid key stays invalid), so every 201 is a live book. Replays
themselves are tested in the handler and end-to-end tests.

A PUT /books/{id} body may be a book's representation, whose `id` must equal
the URL's and whose `version` is a precondition like If-Match: generated
bodies with a random `id` or `version` are refused (422, 412) by design, so
without this almost no generated replace would ever succeed. Valid-typed
`id`/`version` are made consistent with the request; anything of the wrong
type is left alone, so negative cases stay negative.
"""

import uuid

import schemathesis


@schemathesis.hook
def map_case(ctx, case):
    operation = getattr(ctx, "operation", None)
    if operation is None:
        return case
    if operation.method.upper() == "POST" and operation.path == "/books":
        return unique_idempotency_key(case)
    if operation.method.upper() != "PUT" or operation.path != "/books/{id}":
        return case
    body = case.body
    if not isinstance(body, dict):
        return case
    path_id = (case.path_parameters or {}).get("id")
    if isinstance(body.get("id"), str) and isinstance(path_id, str):
        body["id"] = path_id
    version = body.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version >= 1:
        del body["version"]
    return case


def unique_idempotency_key(case):
    """A valid key (1-255 visible ASCII) made this case's own; others left as they are."""
    headers = case.headers or {}
    for name in list(headers):
        if name.lower() != "idempotency-key":
            continue
        key = headers[name]
        if isinstance(key, str) and key and len(key) <= 200 and all(33 <= ord(c) <= 126 for c in key):
            headers[name] = f"{key}-{uuid.uuid4().hex}"
    return case
