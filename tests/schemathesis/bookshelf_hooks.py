"""schemathesis hooks for Bookshelf (loaded by scripts/schemathesis.sh).

A PUT /books/{id} body may be a book's representation, whose `id` must equal
the URL's and whose `version` is a precondition like If-Match: generated
bodies with a random `id` or `version` are refused (422, 412) by design, so
without this almost no generated replace would ever succeed. Valid-typed
`id`/`version` are made consistent with the request; anything of the wrong
type is left alone, so negative cases stay negative.
"""

import schemathesis


@schemathesis.hook
def map_case(ctx, case):
    operation = getattr(ctx, "operation", None)
    if operation is None or operation.method.upper() != "PUT" or operation.path != "/books/{id}":
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
