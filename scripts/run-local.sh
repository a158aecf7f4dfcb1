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

# Secrets for a local install, made on the first run and kept in .run/ (git-ignored, readable
# only by its owner), so tokens handed to an identity provider keep working across restarts:
# the server secret tokens are HMAC'd under, a first admin token, and a first SCIM token (which
# also enables SCIM on a fresh install, so provisioning works at once).
mkdir -p .run
kept() {
  local file=".run/$1"
  if [ ! -s "$file" ]; then
    (umask 077; node -e 'process.stdout.write(process.argv[1] + require("crypto").randomBytes(32).toString("base64url"))' "$2" > "$file")
  fi
  cat "$file"
}
export TOKEN_HMAC_SECRET="${TOKEN_HMAC_SECRET:-$(kept token-hmac-secret '')}"
admin_shown="(the ADMIN_BOOTSTRAP_TOKEN you set)"
if [ -z "${ADMIN_BOOTSTRAP_TOKEN:-}" ]; then
  ADMIN_BOOTSTRAP_TOKEN="$(kept admin-token admin_)"
  export ADMIN_BOOTSTRAP_TOKEN
  admin_shown="$ADMIN_BOOTSTRAP_TOKEN"
fi
scim_shown="(the SCIM_BOOTSTRAP_TOKEN you set)"
if [ -z "${SCIM_BOOTSTRAP_TOKEN:-}" ]; then
  SCIM_BOOTSTRAP_TOKEN="$(kept scim-bootstrap-token scim_)"
  export SCIM_BOOTSTRAP_TOKEN
  scim_shown="$SCIM_BOOTSTRAP_TOKEN"
fi

# The reference team-sync consumer runs beside the service; its view: http://127.0.0.1:8081/team-sync/state
export RUN_TEAM_SYNC="${RUN_TEAM_SYNC:-true}"

port="${PORT:-8080}"
cat <<MSG

  SCIM endpoint:   http://127.0.0.1:${port}/scim/v2
  SCIM token:      ${scim_shown}
  Settings page:   http://127.0.0.1:${port}/admin/scim
  Admin token:     ${admin_shown}
  Team-sync view:  http://127.0.0.1:${TEAM_SYNC_PORT:-8081}/team-sync/state  (the reference Kafka consumer)
  try:             curl -s -H "Authorization: Bearer <SCIM token>" -H 'Content-Type: application/scim+json' \\
                     -d '{"userName":"jdoe@example.com","emails":[{"value":"jdoe@example.com"}]}' http://127.0.0.1:${port}/scim/v2/Users

MSG

exec node dist/services/scim-api/main.js
