#!/usr/bin/env bash
# Runs a command with a Kafka broker available: KAFKA_BROKERS when set, else the local broker,
# started here when none answers and stopped again afterwards (only if this script started it).
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
started=0
if [ -z "${KAFKA_BROKERS:-}" ]; then
  if ! node "$root/scripts/wait-for-kafka.js" --once --quiet >/dev/null 2>&1; then
    bash "$root/scripts/kafka.sh" start || { echo "could not start the local Kafka broker" >&2; exit 1; }
    started=1
  fi
fi
"$@"
rc=$?
if [ "$started" = 1 ]; then bash "$root/scripts/kafka.sh" stop >/dev/null 2>&1 || true; fi
exit $rc
