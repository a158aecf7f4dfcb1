#!/usr/bin/env bash
# `make run`: the service on the embedded default (Postgres event store, local Kafka broker).
# Every setting can be overridden through the environment (see README.md, Configuration).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

if [ -z "${KAFKA_BROKERS:-}" ]; then
  echo "== the local Kafka broker (the first run copies its jars from Maven Central: about a minute)"
  bash scripts/kafka.sh start
  export KAFKA_BROKERS="127.0.0.1:${KAFKA_PORT:-9092}"
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

# Tokens go to a terminal only: when the output is a file or pipe (a log), the banner names the
# files holding them, so they do not end up in logs.
if [ ! -t 1 ]; then
  [ "$admin_shown" = "$ADMIN_BOOTSTRAP_TOKEN" ] && admin_shown="in ${root}/.run/admin-token (not printed: the output is not a terminal)"
  [ "$scim_shown" = "$SCIM_BOOTSTRAP_TOKEN" ] && scim_shown="in ${root}/.run/scim-bootstrap-token (not printed: the output is not a terminal)"
fi

# The reference team-sync consumer runs beside the service (its view on TEAM_SYNC_PORT).
export RUN_TEAM_SYNC="${RUN_TEAM_SYNC:-true}"
# Logs as text on a terminal (pino-pretty, installed by npm ci), JSON lines otherwise.
if [ -z "${LOG_FORMAT:-}" ]; then
  if [ -t 1 ]; then export LOG_FORMAT=pretty; else export LOG_FORMAT=json; fi
fi

port="${PORT:-8080}"
team_sync_port="${TEAM_SYNC_PORT:-8081}"
host="${HOST:-127.0.0.1}"
case "$host" in 0.0.0.0) host=127.0.0.1 ;; ::) host='[::1]' ;; esac

# A port something already answers on (another `make run`?) means the service will refuse to
# start (it says why): then no banner, whose URLs would show the other instance.
port_answers() { (exec 3<>"/dev/tcp/${host//[\[\]]/}/$1") 2>/dev/null; }
taken=0
if port_answers "$port" || { [ "$RUN_TEAM_SYNC" = true ] && port_answers "$team_sync_port"; }; then taken=1; fi

echo "== starting the service on http://${host}:${port} (it runs in this terminal: Ctrl-C stops it)"
node dist/services/scim-api/main.js &
pid=$!
# Ctrl-C reaches the service too; a TERM to this script is passed on. Either way the service stops
# gracefully (team-sync leaves its consumer group) and this script exits with its status.
trap 'kill -TERM "$pid" 2>/dev/null || true' INT TERM

# The banner, once what it shows answers.
team_sync_line="http://${host}:${team_sync_port}/team-sync/state  (the reference Kafka consumer)"
banner=0
if [ "$taken" = 0 ] && node scripts/wait-for-http.js --pid "$pid" --timeout 180 "http://${host}:${port}/healthz"; then
  banner=1
  if [ "$RUN_TEAM_SYNC" = true ] && ! node scripts/wait-for-http.js --pid "$pid" --timeout 60 "http://${host}:${team_sync_port}/healthz"; then
    team_sync_line="not answering on port ${team_sync_port}: see the log above"
  fi
fi
if [ "$banner" = 1 ] && kill -0 "$pid" 2>/dev/null; then
  cat <<MSG

  SCIM endpoint:   http://${host}:${port}/scim/v2
  SCIM token:      ${scim_shown}
  Settings page:   http://${host}:${port}/admin/scim
  Admin token:     ${admin_shown}
MSG
  if [ "$RUN_TEAM_SYNC" = true ]; then echo "  Team-sync view:  ${team_sync_line}"; fi
  cat <<MSG
  Event source:    $(node -e 'console.log(require("./dist/shared/config").loadConfig().EVENT_SOURCE)') (ce_source of this deployment's events on ${KAFKA_TOPIC:-scim.events.v1})
  try:             curl -s -H "Authorization: Bearer <SCIM token>" -H 'Content-Type: application/scim+json' \\
                     -d '{"userName":"jdoe@example.com","emails":[{"value":"jdoe@example.com"}]}' http://${host}:${port}/scim/v2/Users
  stop:            Ctrl-C

MSG
fi

# `wait` returns early when a trapped signal arrives: wait until the service has really ended.
status=0
while kill -0 "$pid" 2>/dev/null; do
  if wait "$pid"; then status=0; else status=$?; fi
done
exit "$status"
