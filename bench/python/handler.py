"""The Python peer of `make bench`: get-book written the way a Python team would, with
boto3 and the AWS Lambda runtime interface client. Same table, same JSON as get-book."""

import json
import os

import boto3

TABLE_NAME = os.environ["TABLE_NAME"]
# Built once per cold start, at import (Lambda's init phase), like the Rust functions'.
DYNAMODB = boto3.client("dynamodb")


def handler(event, context):
    book_id = (event.get("pathParameters") or {}).get("id", "")
    output = DYNAMODB.get_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": f"BOOK#{book_id}"}, "sk": {"S": "BOOK"}},
        ConsistentRead=True,
    )
    item = output.get("Item")
    if item is None:
        return {
            "statusCode": 404,
            "headers": {"content-type": "application/problem+json"},
            "body": json.dumps({"title": "Not Found", "status": 404}),
        }

    def text(name):
        value = item.get(name)
        return value["S"] if value else None

    version = int(item["version"]["N"])
    book = {
        "id": text("id"),
        "title": text("title"),
        "author": text("author"),
        "genre": text("genre"),
        "version": version,
        "createdAt": text("createdAt"),
        "updatedAt": text("updatedAt"),
    }
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json", "etag": f'"{version}"'},
        "body": json.dumps(book),
    }
