#!/usr/bin/env bash
# kore-mock's conformance, proved by an outside API fuzzer: Schemathesis (pinned in
# requirements.txt) runs every check and every phase, stateful included, against a
# started kore-mock, twice:
#   1. the merged spec (openapi/kore-clients.json), which kore-mock follows: 0 failures;
#   2. KORE's published spec (openapi/reference/kore_client_v1.json): exactly the
#      divergences in expected-divergences.json, each from a documented correction.
# Needs python3 with venv, curl, jq and a built kore-mock (KORE_MOCK, default
# $CARGO_TARGET_DIR/debug/kore-mock). MAX_EXAMPLES (default 50) bounds each operation.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
venv=$target/schemathesis-venv
work=$target/conformance
mock_bin=${KORE_MOCK:-$target/debug/kore-mock}
max_examples=${MAX_EXAMPLES:-50}

# The venv is rebuilt whenever the pinned requirements change.
if ! cmp -s "$here/requirements.txt" "$venv/requirements.txt"; then
  echo "installing Schemathesis into $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$venv/requirements.txt"
fi
"$venv/bin/st" --version

rm -rf "$work"
mkdir -p "$work"
# A fixed seed and clock: the same data on every run, so the fuzzer's findings are too.
# --json prints exactly one JSON line once the mock listens: read it from a pipe
# (bash 4.4 or newer, as on every Linux CI; the README's example polls a file instead).
exec {mock_out}< <(exec "$mock_bin" --json --port 0 --seed 1 --clock 2024-04-05T11:08:14Z \
  2>"$work/kore-mock.log")
mock=$!
trap 'kill "$mock" 2>/dev/null || true' EXIT
if ! read -r -t 30 ready <&"$mock_out"; then
  echo "kore-mock did not start:" >&2
  cat "$work/kore-mock.log" >&2
  exit 1
fi
base_url=$(jq -r .base_url <<<"$ready")
admin_url=$(jq -r .admin_url <<<"$ready")
token_url=$(jq -r .token_url <<<"$ready")
client_id=$(jq -r .client_id <<<"$ready")
client_secret=$(jq -r .client_secret <<<"$ready")

# schemathesis NAME SPEC: one run from the seeded state, its NDJSON report in $work.
schemathesis() {
  local name=$1 spec=$2 token status
  curl -sSf -X POST "$admin_url/reset" >/dev/null
  token=$(curl -sSf "$token_url" -d grant_type=client_credentials \
    --data-urlencode "client_id=$client_id" --data-urlencode "client_secret=$client_secret" |
    jq -r .access_token)
  echo "--- Schemathesis against $spec"
  set +e
  (cd "$work" && "$venv/bin/st" run "$root/$spec" --url "$base_url" \
    -H "Authorization: Bearer $token" \
    --checks all --phases examples,coverage,fuzzing,stateful \
    --max-examples "$max_examples" --seed 1 --workers 1 \
    --generation-database none --no-color \
    --report ndjson --report-ndjson-path "$work/$name.ndjson" >"$work/$name.txt" 2>&1)
  status=$?
  set -e
  # Schemathesis exits 1 when a check failed; anything else means the run itself failed.
  if [ "$status" -gt 1 ]; then
    cat "$work/$name.txt"
    echo "Schemathesis could not run against $spec (exit $status)" >&2
    return 1
  fi
  sed -n '/= SUMMARY =/,$p' "$work/$name.txt"
}

failed=0
schemathesis merged openapi/kore-clients.json
echo "--- merged spec: every divergence is a failure"
python3 "$here/divergences.py" "$work/merged.ndjson" || failed=1

schemathesis published openapi/reference/kore_client_v1.json
echo "--- KORE's published spec: only the documented corrections may diverge"
python3 "$here/divergences.py" "$work/published.ndjson" "$here/expected-divergences.json" || failed=1

if [ "$failed" -ne 0 ]; then
  echo "conformance failed; Schemathesis's full output is in $work/*.txt" >&2
  exit 1
fi
echo "conformance ok"
