#!/usr/bin/env bash
# A local single-node Apache Kafka broker (KRaft, combined broker + controller) from Maven Central jars.
#
#   scripts/kafka.sh fetch    copy the broker jars into $KAFKA_HOME_DIR/libs (skipped when already complete)
#   scripts/kafka.sh start    fetch if needed, write the config, format storage once, start, wait until ready
#   scripts/kafka.sh stop     stop the broker this script started (SIGTERM, SIGKILL after 30 s)
#   scripts/kafka.sh status   say whether it runs and answers; exit 0 when a broker answers, 3 otherwise
#   scripts/kafka.sh wait     wait until a broker answers (KAFKA_WAIT_TIMEOUT seconds, default 60)
#
# Environment:
#   KAFKA_PORT             broker port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port (default KAFKA_PORT + 1, so 9093)
#   KAFKA_HOME_DIR         jars, config, data, pid and log (default <repo>/.kafka, git-ignored)
#   KAFKA_LIBS_DIR         where the jars are (default $KAFKA_HOME_DIR/libs)
#   KAFKA_HEAP_OPTS        JVM heap (default -Xmx512m -Xms256m)
#   KAFKA_WAIT_TIMEOUT     seconds to wait for readiness (default 60)
#
# Needs java (17+), mvn (first fetch only) and node with the repository's node_modules (kafkajs).
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TEMPLATES="$REPO_ROOT/scripts/kafka"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}"
KAFKA_HOME_DIR="${KAFKA_HOME_DIR:-$REPO_ROOT/.kafka}"
KAFKA_HOME_DIR="$(mkdir -p "$KAFKA_HOME_DIR" && cd "$KAFKA_HOME_DIR" && pwd)" # absolute: it is matched in ps output
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m}"
KAFKA_WAIT_TIMEOUT="${KAFKA_WAIT_TIMEOUT:-60}"

# KAFKA_LIBS_DIR lets a second broker (a test's own) share the jars of the first.
LIBS_DIR="${KAFKA_LIBS_DIR:-$KAFKA_HOME_DIR/libs}"
LIBS_MARKER="$LIBS_DIR/.complete"
CONFIG_DIR="$KAFKA_HOME_DIR/config"
CONFIG_FILE="$CONFIG_DIR/server.properties"
LOG4J_FILE="$CONFIG_DIR/log4j.properties"
DATA_DIR="$KAFKA_HOME_DIR/data"
PID_FILE="$KAFKA_HOME_DIR/kafka.pid"
LOG_FILE="$KAFKA_HOME_DIR/kafka.log"
BROKER="127.0.0.1:$KAFKA_PORT"

say() { echo "kafka.sh: $*"; }
die() { echo "kafka.sh: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------
# fetch

# "kafka_2.13 3.9.1 / slf4j-reload4j 1.7.36", read from the pom so the versions live in one place.
wanted_versions() {
  local kafka slf4j
  kafka="$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$TEMPLATES/pom.xml")"
  slf4j="$(sed -n 's:.*<slf4j.version>\(.*\)</slf4j.version>.*:\1:p' "$TEMPLATES/pom.xml")"
  [[ -n "$kafka" && -n "$slf4j" ]] || die "cannot read kafka.version/slf4j.version from $TEMPLATES/pom.xml"
  echo "kafka_2.13 $kafka / slf4j-reload4j $slf4j"
}

libs_complete() {
  [[ -f "$LIBS_MARKER" && "$(cat "$LIBS_MARKER")" == "$(wanted_versions)" ]]
}

cmd_fetch() {
  local versions tmp
  versions="$(wanted_versions)"
  if libs_complete; then
    say "jars for $versions already in $LIBS_DIR"
    return 0
  fi
  command -v mvn >/dev/null || die "mvn not found; it is needed once to copy the broker jars from Maven Central"
  say "copying $versions and runtime dependencies from Maven Central into $LIBS_DIR (mvn dependency:copy-dependencies; first run only, about a minute)"
  mkdir -p "$KAFKA_HOME_DIR"
  # Copy into a fresh folder, then swap it in: an interrupted fetch never looks complete.
  tmp="$KAFKA_HOME_DIR/libs.partial"
  rm -rf "$tmp"
  # -q leaves only problems; they go to a file (Debian's mvn 3.8 also prints stray colour codes).
  if ! mvn -q -B -Dstyle.color=never -f "$TEMPLATES/pom.xml" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME_DIR/mvn.log" 2>&1; then
    tail -n 40 "$KAFKA_HOME_DIR/mvn.log" >&2
    die "mvn dependency:copy-dependencies failed; full output in $KAFKA_HOME_DIR/mvn.log"
  fi
  rm -f "$KAFKA_HOME_DIR/mvn.log"
  ls "$tmp"/kafka_2.13-*.jar >/dev/null 2>&1 || die "mvn finished but no kafka_2.13 jar landed in $tmp"
  rm -rf "$LIBS_DIR"
  mv "$tmp" "$LIBS_DIR"
  echo "$versions" >"$LIBS_MARKER"
  say "$(find "$LIBS_DIR" -name '*.jar' | wc -l | tr -d ' ') jars in $LIBS_DIR"
}

# ---------------------------------------------------------------------------------------------------
# helpers for the broker process

# Alive and not a zombie (a zombie answers kill -0 until something reaps it).
alive() {
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ "$state" != Z* ]]
}

# The pid in the pid file, when that process is alive and is the broker started with our config.
our_pid() {
  local pid args
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE")"
  [[ "$pid" =~ ^[0-9]+$ ]] && alive "$pid" || return 1
  args="$(ps -o args= -p "$pid" 2>/dev/null)" || return 1
  [[ "$args" == *kafka.Kafka*"$CONFIG_FILE"* ]] || return 1
  echo "$pid"
}

port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

wait_ready() {
  KAFKA_BROKERS="$BROKER" node "$REPO_ROOT/scripts/wait-for-kafka.js" --timeout "${1:-$KAFKA_WAIT_TIMEOUT}" "${@:2}"
}

java_classpath() { echo "$LIBS_DIR/*"; }

write_config() {
  mkdir -p "$CONFIG_DIR" "$DATA_DIR"
  sed -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" \
    -e "s|@LOG_DIRS@|$DATA_DIR|g" \
    "$TEMPLATES/server.properties" >"$CONFIG_FILE"
  cp "$TEMPLATES/log4j.properties" "$LOG4J_FILE"
}

format_storage_once() {
  if [[ -f "$DATA_DIR/meta.properties" ]]; then
    say "storage in $DATA_DIR already formatted ($(grep '^cluster.id=' "$DATA_DIR/meta.properties"))"
    return 0
  fi
  local cluster_id
  cluster_id="$(java -cp "$(java_classpath)" -Dlog4j.configuration="file:$LOG4J_FILE" \
    kafka.tools.StorageTool random-uuid 2>>"$LOG_FILE" | tail -n 1)"
  [[ "$cluster_id" =~ ^[A-Za-z0-9_-]{22}$ ]] || die "StorageTool random-uuid printed '$cluster_id', not a cluster id"
  say "formatting storage in $DATA_DIR (cluster.id=$cluster_id)"
  java -cp "$(java_classpath)" -Dlog4j.configuration="file:$LOG4J_FILE" \
    kafka.tools.StorageTool format -t "$cluster_id" -c "$CONFIG_FILE" >>"$LOG_FILE" 2>&1 \
    || die "StorageTool format failed; see $LOG_FILE"
}

# ---------------------------------------------------------------------------------------------------
# commands

cmd_start() {
  local pid started
  if pid="$(our_pid)"; then
    say "broker already started by this script (pid $pid); waiting until it answers on $BROKER"
    wait_ready
    return
  fi
  if port_open "$KAFKA_PORT"; then
    if wait_ready 10 --once --quiet; then
      say "a Kafka broker already answers on $BROKER; not starting a second one"
      return 0
    fi
    die "port $KAFKA_PORT is in use by something that does not answer as a Kafka broker"
  fi
  if port_open "$KAFKA_CONTROLLER_PORT"; then
    die "controller port $KAFKA_CONTROLLER_PORT is already in use (set KAFKA_CONTROLLER_PORT)"
  fi

  command -v java >/dev/null || die "java not found (OpenJDK 17 or newer)"
  libs_complete || cmd_fetch
  write_config
  format_storage_once
  rm -f "$PID_FILE"

  say "starting broker on $BROKER (controller 127.0.0.1:$KAFKA_CONTROLLER_PORT, data $DATA_DIR, log $LOG_FILE)"
  started=$SECONDS
  echo "=== kafka.sh start $(date -u +%Y-%m-%dT%H:%M:%SZ) on $BROKER ===" >>"$LOG_FILE"
  # setsid: the broker gets its own session, so it outlives the shell (or CI step) that started it.
  # shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM flags
  nohup setsid java $KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true \
    -Dlog4j.configuration="file:$LOG4J_FILE" \
    -cp "$(java_classpath)" kafka.Kafka "$CONFIG_FILE" \
    >>"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"

  if ! wait_ready; then
    if ! our_pid >/dev/null; then
      echo "--- last lines of $LOG_FILE ---" >&2
      tail -n 30 "$LOG_FILE" >&2 || true
      die "the broker exited during startup"
    fi
    die "the broker (pid $(cat "$PID_FILE")) did not answer within ${KAFKA_WAIT_TIMEOUT}s; see $LOG_FILE"
  fi
  say "broker started (pid $(cat "$PID_FILE")) in $((SECONDS - started))s"
}

cmd_stop() {
  local pid started=$SECONDS
  if ! pid="$(our_pid)"; then
    if [[ -f "$PID_FILE" ]]; then
      say "removing stale pid file $PID_FILE (pid $(cat "$PID_FILE") is not our broker)"
      rm -f "$PID_FILE"
    fi
    if port_open "$KAFKA_PORT"; then
      say "something listens on $BROKER but this script did not start it; leaving it alone"
    else
      say "no broker running"
    fi
    return 0
  fi
  say "stopping broker (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while alive "$pid"; do
    if ((SECONDS - started >= 30)); then
      say "still running after 30s; sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 1
      if alive "$pid"; then die "pid $pid survived SIGKILL"; fi
      break
    fi
    sleep 0.2
  done
  rm -f "$PID_FILE"
  say "stopped in $((SECONDS - started))s"
}

cmd_status() {
  local pid
  if pid="$(our_pid)"; then
    say "broker process running (pid $pid, config $CONFIG_FILE, log $LOG_FILE)"
  else
    say "no broker process started by this script"
  fi
  if port_open "$KAFKA_PORT" && wait_ready 5 --once; then
    return 0
  fi
  say "no broker answers on $BROKER"
  return 3
}

cmd_wait() {
  wait_ready
}

case "${1:-}" in
  fetch) cmd_fetch ;;
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  wait) cmd_wait ;;
  *)
    echo "usage: $0 {fetch|start|stop|status|wait}" >&2
    exit 2
    ;;
esac
