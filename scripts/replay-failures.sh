#!/usr/bin/env bash
# Replays the stream batches record-history gave up on, from the stack's S3
# on-failure bucket: each object is one failed invocation, whose `payload`
# (an escaped JSON string) is the whole event the function was given. The
# event is invoked again on the function's `live` alias; an object replayed
# without a function error or a batch item failure moves to `replayed/`, so a
# second run does not replay it again (record-history's writes are idempotent
# anyway). Needs the AWS CLI v2 with credentials for the stack, and python3.
#
#   scripts/replay-failures.sh STACK            every object under aws/lambda/
#   scripts/replay-failures.sh STACK KEY...     only these objects
#
# The local equivalent is `cargo run -p bookshelf-local -- replay-failures`.
set -euo pipefail

stack=${1:?usage: scripts/replay-failures.sh STACK [KEY...]}
shift

bucket=$(aws cloudformation describe-stacks --stack-name "$stack" \
    --query "Stacks[0].Outputs[?OutputKey=='HistoryFailureBucketName'].OutputValue" --output text)
function=$(aws cloudformation describe-stack-resource --stack-name "$stack" \
    --logical-resource-id RecordHistoryFunction \
    --query StackResourceDetail.PhysicalResourceId --output text)

if [ $# -gt 0 ]; then
    keys=("$@")
else
    mapfile -t keys < <(aws s3api list-objects-v2 --bucket "$bucket" --prefix aws/lambda/ \
        --query 'Contents[].Key' --output text | tr '\t' '\n' | grep -v -e '^None$' -e '^$' || true)
fi
if [ ${#keys[@]} -eq 0 ]; then
    echo "Nothing to replay in s3://$bucket/aws/lambda/"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
replayed=0
for key in "${keys[@]}"; do
    aws s3 cp "s3://$bucket/$key" "$work/record.json" --only-show-errors
    # The event Lambda kept: `payload` is an escaped JSON string in S3 records.
    records=$(python3 - "$work/record.json" "$work/event.json" <<'PY'
import json, sys
record = json.load(open(sys.argv[1]))
payload = record.get("payload")
event = json.loads(payload) if isinstance(payload, str) else payload
if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
    sys.exit("no payload with Records (not an S3 invocation record)")
json.dump(event, open(sys.argv[2], "w"))
print(len(event["Records"]))
PY
    ) || { echo "skipped   $key"; continue; }
    error=$(aws lambda invoke --function-name "$function" --qualifier live \
        --payload "fileb://$work/event.json" --query FunctionError --output text \
        "$work/answer.json")
    failures=$(python3 -c 'import json, sys
answer = json.load(open(sys.argv[1]))
print(len(answer.get("batchItemFailures") or []) if isinstance(answer, dict) else 0)' "$work/answer.json")
    if [ "$error" = "None" ] && [ "$failures" = 0 ]; then
        aws s3 mv "s3://$bucket/$key" "s3://$bucket/replayed/$key" --only-show-errors
        echo "replayed  $key: $records record(s) → replayed/$key"
        replayed=$((replayed + 1))
    else
        echo "failed    $key: $records record(s), function error: $error, $failures batch item failure(s); kept"
    fi
done
echo "$replayed of ${#keys[@]} record(s) replayed"
[ "$replayed" -eq ${#keys[@]} ]
