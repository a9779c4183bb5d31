#!/usr/bin/env python3
"""Regenerates events/<function-crate>.json: one sample event per function of
template.yaml, for `sam local invoke -e` and handler tests.

HTTP functions get an API Gateway HTTP API (payload format 2.0) request. Each
starts from `sam local generate-event apigateway http-api-proxy` and is then
made to look like what API Gateway really sends for that route: route key, path
parameters, decoded query parameters, lower-cased headers with `content-length`
(0 without a body), a JSON body as plain text when its type is
`application/json` and in base64 otherwise (`application/merge-patch+json`
included: HTTP APIs pass only text/*, application/json, application/xml and
application/javascript as text), request ids of API Gateway's shape, no client
certificate, cookies or stage variables (Bookshelf's HTTP API has none of
them), and on write routes the claims its JWT authorizer passes for a signed-in
Cognito user (reads have no authorizer). The local API Gateway
(local/src/gateway/event.rs) follows the same rules, and a test checks these
files by them (local/tests/runner/sample_events.rs).

The stream function (record-history) gets a DynamoDB Streams batch, from
`sam local generate-event dynamodb update`, holding one book's life: created,
replaced, patched, deleted (NEW_AND_OLD_IMAGES, book items as stored).

Run it with the project's venv (`make events`); it writes only events/*.json,
and warns about functions of template.yaml that have no event here.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import parse_qsl

ROOT = Path(__file__).resolve().parent.parent
SAM = Path(sys.executable).parent / "sam"

API_ID = "a1b2c3d4e5"
REGION = "us-east-1"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
# The id of the book every single-book event is about (a UUIDv7, like the ids
# create-book makes).
BOOK_ID = "0192f0c1-7a9e-7b3c-8d4e-5f6a7b8c9d0e"
SOURCE_IP = "203.0.113.24"  # TEST-NET-3: documentation addresses only
USER_AGENT = "curl/8.11.1"

# (crate, method, route path (or a whole route key, for `ANY` routes), raw path,
#  raw query, extra headers, body, request id, second)
EVENTS = [
    (
        "list-books", "GET", "/books", "/books",
        "limit=10&author=Ursula%20K.%20Le%20Guin",
        {},
        None, "Zq1mHhDnoAMEb0Q=", 0,
    ),
    (
        "create-book", "POST", "/books", "/books", "",
        {
            "content-type": "application/json",
            "idempotency-key": "8e0f3c36-5d64-4a4e-9a35-0c6f4f0d2b71",
        },
        {"title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "genre": "Science fiction"},
        "Zq1mJgQ6IAMEbVw=", 1,
    ),
    (
        "get-book", "GET", "/books/{id}", f"/books/{BOOK_ID}", "",
        {},
        None, "Zq1mLhA4oAMEbJA=", 2,
    ),
    (
        "replace-book", "PUT", "/books/{id}", f"/books/{BOOK_ID}", "",
        {"content-type": "application/json", "if-match": '"1"'},
        {"title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin", "genre": "Speculative fiction"},
        "Zq1mNg1ZIAMEbTQ=", 3,
    ),
    (
        "patch-book", "PATCH", "/books/{id}", f"/books/{BOOK_ID}", "",
        {"content-type": "application/merge-patch+json", "if-match": '"2"'},
        {"genre": "Science fiction"},
        "Zq1mPhXcoAMEbNg=", 4,
    ),
    (
        "delete-book", "DELETE", "/books/{id}", f"/books/{BOOK_ID}", "",
        {"if-match": '"3"'},
        None, "Zq1mRgTvIAMEbEA=", 5,
    ),
    (
        "book-history", "GET", "/books/{id}/history", f"/books/{BOOK_ID}/history", "limit=20",
        {},
        None, "Zq1mTh5YoAMEbHw=", 6,
    ),
    (
        "web-page", "GET", "/", "/", "",
        {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "accept-encoding": "gzip, br"},
        None, "Zq1mVgGnIAMEbQQ=", 7,
    ),
    # The Flask tutorial's routes: input from the query string, never a body.
    (
        "tutorial-list-books", "GET", "/booksApi", "/booksApi", "",
        {},
        None, "Zq1mZgHxIAMEbRw=", 9,
    ),
    (
        "tutorial-create-book", "POST", "/booksApi", "/booksApi",
        "title=Kindred&author=Octavia%20E.%20Butler&genre=Science%20fiction",
        {},
        None, "Zq1mbhK2oAMEbTg=", 10,
    ),
    (
        "tutorial-get-book", "GET", "/booksApi/{id}", f"/booksApi/{BOOK_ID}", "",
        {},
        None, "Zq1mdgM4IAMEbVA=", 11,
    ),
    (
        "tutorial-update-book", "PUT", "/booksApi/{id}", f"/booksApi/{BOOK_ID}",
        "title=Kindred%20(1979)",
        {},
        None, "Zq1mfhNvoAMEbXQ=", 12,
    ),
    (
        "tutorial-delete-book", "DELETE", "/booksApi/{id}", f"/booksApi/{BOOK_ID}", "",
        {},
        None, "Zq1mhgP1IAMEbZw=", 13,
    ),
    # A method the path does not serve: the `ANY` route catches it (405 + Allow).
    (
        "method-not-allowed", "POST", "ANY /books/{id}", f"/books/{BOOK_ID}", "",
        {"content-type": "application/json"},
        {"title": "The Left Hand of Darkness", "author": "Ursula K. Le Guin"},
        "Zq1mXhFqoAMEbKA=", 8,
    ),
]

# The deployed table's name and stream (CloudFormation names the table).
TABLE_NAME = "bookshelf-BooksTable-1UX4RZ2N8GQ0E"
STREAM_LABEL = "2026-11-24T11:58:31.414"
TITLE = "The Left Hand of Darkness"
AUTHOR = "Ursula K. Le Guin"


def generate(method: str, path: str) -> dict:
    out = subprocess.run(
        [str(SAM), "local", "generate-event", "apigateway", "http-api-proxy",
         "--method", method, "--path", path.lstrip("/"), "--dns-suffix", f"{REGION}.amazonaws.com"],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def is_text(content_type: str | None) -> bool:
    """Whether an HTTP API passes a body of this type as text (else base64)."""
    essence = (content_type or "").split(";", 1)[0].strip().lower()
    return essence.startswith("text/") or essence in (
        "application/json", "application/xml", "application/javascript",
    )


def writer_claims(when: datetime) -> dict:
    """What API Gateway's JWT authorizer passes for a Cognito user's access
    token: every claim as a string (the scope as one space-separated string)."""
    issued = int(when.timestamp()) - 60
    return {
        "auth_time": str(issued),
        "client_id": "5l7n1sbk0gq1ojbbv39c7ke4mf",
        "exp": str(issued + 3600),
        "iat": str(issued),
        "iss": f"https://cognito-idp.{REGION}.amazonaws.com/{REGION}_Bk5hElF0x",
        "jti": "2f9d6a4e-1c3b-4f8e-9a7d-5b6c4d3e2f1a",
        "scope": "openid bookshelf/books.read bookshelf/books.write",
        "sub": "8c1b5d2e-7f3a-4e6b-9d0c-1a2b3c4d5e6f",
        "token_use": "access",
        "username": "alice",
        "version": "2",
    }


def build(crate, method, route_path, raw_path, raw_query, extra_headers, body, request_id, second) -> dict:
    event = generate(method, raw_path)
    when = datetime(2026, 11, 24, 12, 0, second, tzinfo=timezone.utc)
    route_key = route_path if " " in route_path else f"{method} {route_path}"
    text = None if body is None else json.dumps(body, separators=(",", ":"), ensure_ascii=False)

    headers = {
        "accept": "application/json",
        "host": DOMAIN,
        "user-agent": USER_AGENT,
        "x-amzn-trace-id": f"Root=1-{int(when.timestamp()):08x}-3f1c2b7a9d8e4f6a5b0c1d2e",
        "x-forwarded-for": SOURCE_IP,
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    headers["content-length"] = "0" if text is None else str(len(text.encode()))
    headers.update(extra_headers)  # may replace a default (accept)

    event["routeKey"] = route_key
    event["rawPath"] = raw_path
    event["rawQueryString"] = raw_query
    event.pop("cookies", None)
    event["headers"] = dict(sorted(headers.items()))
    if raw_query:
        event["queryStringParameters"] = dict(parse_qsl(raw_query))
    else:
        event.pop("queryStringParameters", None)

    ctx = event["requestContext"]
    ctx.pop("authentication", None)
    ctx.pop("authorizer", None)
    if method in ("POST", "PUT", "PATCH", "DELETE") and " " not in route_path:
        ctx["authorizer"] = {"jwt": {"claims": writer_claims(when), "scopes": None}}
    ctx["apiId"] = API_ID
    ctx["domainName"] = DOMAIN
    ctx["domainPrefix"] = API_ID
    ctx["http"] = {
        "method": method,
        "path": raw_path,
        "protocol": "HTTP/1.1",
        "sourceIp": SOURCE_IP,
        "userAgent": USER_AGENT,
    }
    ctx["requestId"] = request_id
    ctx["routeKey"] = route_key
    ctx["stage"] = "$default"
    ctx["time"] = when.strftime("%d/%b/%Y:%H:%M:%S +0000")
    ctx["timeEpoch"] = int(when.timestamp() * 1000)

    if text is None:
        event.pop("body", None)
        event["isBase64Encoded"] = False
    elif is_text(headers.get("content-type")):
        event["body"] = text
        event["isBase64Encoded"] = False
    else:
        event["body"] = base64.b64encode(text.encode()).decode("ascii")
        event["isBase64Encoded"] = True
    if "{id}" in route_path:
        event["pathParameters"] = {"id": BOOK_ID}
    else:
        event.pop("pathParameters", None)
    event.pop("stageVariables", None)
    return event


def sam_event(*args: str) -> dict:
    out = subprocess.run(
        [str(SAM), "local", "generate-event", *args],
        cwd=ROOT, check=True, capture_output=True, text=True,
    ).stdout
    return json.loads(out)


def rfc3339(second: int) -> str:
    return datetime(2026, 11, 24, 12, 0, second, 123000, tzinfo=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def book_image(version: int, genre: str | None, updated_second: int) -> dict:
    """A book item as the table stores it, in DynamoDB JSON."""
    item = {
        "pk": {"S": f"BOOK#{BOOK_ID}"},
        "sk": {"S": "BOOK"},
        "kind": {"S": "book"},
        "shelf": {"S": "books"},
        "titleKey": {"S": f"{TITLE.lower()}\u0001{BOOK_ID}"},
        "id": {"S": BOOK_ID},
        "title": {"S": TITLE},
        "author": {"S": AUTHOR},
        "version": {"N": str(version)},
        "createdAt": {"S": rfc3339(1)},
        "updatedAt": {"S": rfc3339(updated_second)},
    }
    if genre is not None:  # absent, never NULL (it keys the sparse byGenre index)
        item["genre"] = {"S": genre}
    return item


def stream_event() -> dict:
    """record-history: the stream records of create, replace, patch and delete."""
    sample = sam_event("dynamodb", "update", "--table", TABLE_NAME, "--region", REGION)
    by_name = {record["eventName"]: record for record in sample["Records"]}
    v1 = book_image(1, "Science fiction", 1)
    v2 = book_image(2, "Speculative fiction", 3)
    v3 = book_image(3, "Science fiction", 4)
    changes = [("INSERT", None, v1, 1), ("MODIFY", v1, v2, 3), ("MODIFY", v2, v3, 4), ("REMOVE", v3, None, 5)]
    records = []
    for n, (name, old, new, second) in enumerate(changes, start=1):
        record = json.loads(json.dumps(by_name[name]))
        images = {k: v for k, v in (("NewImage", new), ("OldImage", old)) if v is not None}
        size = len(json.dumps(images, separators=(",", ":")))
        record["eventID"] = f"{n:x}{'7f3a9c2e5b1d4860' * 2}"[:32]
        record["awsRegion"] = REGION
        record["eventSourceARN"] = f"arn:aws:dynamodb:{REGION}:123456789012:table/{TABLE_NAME}/stream/{STREAM_LABEL}"
        record["dynamodb"] = {
            "ApproximateCreationDateTime": int(datetime(2026, 11, 24, 12, 0, second, tzinfo=timezone.utc).timestamp()),
            "Keys": {"pk": {"S": f"BOOK#{BOOK_ID}"}, "sk": {"S": "BOOK"}},
            **images,
            "SequenceNumber": f"134026040000000004581278{n:04d}",
            "SizeBytes": size,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        }
        records.append(record)
    return {"Records": records}


def template_functions() -> dict[str, str]:
    """CodeUri folder name -> logical id of every function in template.yaml."""
    from samtranslator.yaml_helper import yaml_parse  # ships with the SAM CLI

    template = yaml_parse((ROOT / "template.yaml").read_text())
    return {
        Path(resource["Properties"]["CodeUri"]).name: logical_id
        for logical_id, resource in template.get("Resources", {}).items()
        if resource.get("Type") == "AWS::Serverless::Function"
    }


def main() -> None:
    out_dir = ROOT / "events"
    out_dir.mkdir(exist_ok=True)
    events = {spec[0]: build(*spec) for spec in EVENTS}
    events["record-history"] = stream_event()
    for crate, event in events.items():
        path = out_dir / f"{crate}.json"
        path.write_text(json.dumps(event, indent=2, ensure_ascii=False) + "\n")
        print(f"wrote {path.relative_to(ROOT)}")
    for crate, logical_id in sorted(template_functions().items()):
        if crate not in events:
            print(f"warning: {logical_id} (functions/{crate}) has no sample event: add it to {Path(__file__).name}",
                  file=sys.stderr)


if __name__ == "__main__":
    main()
