#!/usr/bin/env bash
# kore-mock from a shell script, no Rust: start it, script a fault, watch a call
# fail, read the journal, reset, stop. Needs curl and jq; KORE_MOCK names the
# binary (default: kore-mock on PATH).
set -euo pipefail

ready_file=$(mktemp)
"${KORE_MOCK:-kore-mock}" --json --port 0 >"$ready_file" 2>/dev/null &
mock=$!
trap 'kill "$mock" 2>/dev/null || true; rm -f "$ready_file"' EXIT

# --json prints exactly one JSON object once the mock listens.
for _ in $(seq 100); do
  [ -s "$ready_file" ] || ! kill -0 "$mock" 2>/dev/null && break
  sleep 0.1
done
[ -s "$ready_file" ] || { echo "kore-mock did not start" >&2; exit 1; }
ready=$(head -n 1 "$ready_file")
base_url=$(jq -r .base_url <<<"$ready")
admin_url=$(jq -r .admin_url <<<"$ready")
token=$(curl -sSf "$(jq -r .token_url <<<"$ready")" \
  -d grant_type=client_credentials \
  --data-urlencode "client_id=$(jq -r .client_id <<<"$ready")" \
  --data-urlencode "client_secret=$(jq -r .client_secret <<<"$ready")" |
  jq -r .access_token)

# The next list request fails with 503; the admin API needs no token.
curl -sSf "$admin_url/faults" -d '{"route": "list-clients", "faults": ["503"]}' | jq -c .

status=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
  "$base_url/v1/clients?page_size=10&page_number=1")
echo "GET /v1/clients answered $status"
[ "$status" = 503 ]

# What the mock received, oldest first: never a token or a secret.
curl -sSf "$admin_url/requests" | jq -c '.requests[] | {method, path, status, authorization, fault}'

# Back to the seeded state: clients, faults, tokens and journal.
curl -sSf -X POST "$admin_url/reset" | jq -c .
[ "$(curl -sSf "$admin_url/requests" | jq '.requests | length')" = 0 ]

kill -TERM "$mock"
wait "$mock" # exits 0 on SIGTERM
trap 'rm -f "$ready_file"' EXIT
echo "kore-mock stopped cleanly"
