#!/usr/bin/env bash
# `make run`: the service on the embedded default (Postgres event store, local Kafka broker).
# Every setting can be overridden through the environment (see README.md, Configuration).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -z "${KAFKA_BROKERS:-}" ]; then
  bash scripts/kafka.sh start
  export KAFKA_BROKERS=127.0.0.1:9092
fi

# A first SCIM token, so that provisioning works at once: made on the first run, kept in .run/
# (git-ignored, readable only by its owner) so an identity provider configured with it keeps working.
token_shown="(the SCIM_BOOTSTRAP_TOKEN you set)"
if [ -z "${SCIM_BOOTSTRAP_TOKEN:-}" ]; then
  mkdir -p .run
  token_file=.run/scim-bootstrap-token
  if [ ! -s "$token_file" ]; then
    (umask 077; node -e 'process.stdout.write(require("crypto").randomBytes(32).toString("base64url"))' > "$token_file")
  fi
  SCIM_BOOTSTRAP_TOKEN="$(cat "$token_file")"
  export SCIM_BOOTSTRAP_TOKEN
  token_shown="$SCIM_BOOTSTRAP_TOKEN"
fi

port="${PORT:-8080}"
cat <<MSG

  SCIM endpoint:  http://127.0.0.1:${port}/scim/v2
  SCIM token:     ${token_shown}
  try:            curl -s -H "Authorization: Bearer <token>" -H 'Content-Type: application/scim+json' \\
                    -d '{"userName":"jdoe@example.com","emails":[{"value":"jdoe@example.com"}]}' http://127.0.0.1:${port}/scim/v2/Users

MSG

exec node dist/services/scim-api/main.js
