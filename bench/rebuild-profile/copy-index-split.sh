#!/usr/bin/env bash
# COPY of the rebuilt tables that take rows, per table: (a) into tables LIKE them INCLUDING ALL
# (the bench's reference), (b) into tables without indexes, then their CREATE INDEX statements.
# Shows what index maintenance costs a bulk load.   DB=<database> bash copy-index-split.sh
set -euo pipefail
P="psql -h 127.0.0.1 -U postgres -d $DB -X -q"
T="scim_read.users platform_read.subject_names platform_read.accounts platform_read.users platform_read.activity"
$P -c "DROP SCHEMA IF EXISTS pc CASCADE; CREATE SCHEMA pc;"
for t in $T; do n=${t/./_}; $P -c "CREATE TABLE pc.a_$n (LIKE $t INCLUDING ALL); CREATE TABLE pc.b_$n (LIKE $t INCLUDING DEFAULTS INCLUDING CONSTRAINTS); COPY $t TO '/tmp/pc_$n.bin' (FORMAT binary)"; done
{ echo '\timing on'
  for t in $T; do n=${t/./_}; echo "\\echo A $n"; echo "COPY pc.a_$n FROM '/tmp/pc_$n.bin' (FORMAT binary);"; done
  for t in $T; do n=${t/./_}; echo "\\echo B $n"; echo "COPY pc.b_$n FROM '/tmp/pc_$n.bin' (FORMAT binary);"
    $P -Atc "SELECT replace(replace(indexdef, ' ON ${t%%.*}.${t#*.} ', ' ON pc.b_$n '), 'INDEX ', 'INDEX b_${n}_') || ';' FROM pg_indexes WHERE schemaname='${t%%.*}' AND tablename='${t#*.}'"; done; } > /tmp/pc_$$.sql
$P -f /tmp/pc_$$.sql
$P -c "DROP SCHEMA pc CASCADE"; rm -f /tmp/pc_*.bin /tmp/pc_$$.sql
