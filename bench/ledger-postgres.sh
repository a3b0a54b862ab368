#!/usr/bin/env bash
# `courant send` with a SQLite ledger and with a PostgreSQL ledger, beside Postfix's
# smtp-source, alternating in one run (source, sqlite, postgres, joined, source, …), to one
# smtp-sink. `joined` is two `send --join` runs started together on one PostgreSQL ledger,
# with 2 connections each (4 in all, as the others).
#
#   bench/ledger-postgres.sh [MESSAGES] [RUNS] [PGPORT]
#
# Needs a PostgreSQL on 127.0.0.1:PGPORT whose superuser `postgres` and user `courant` both
# have the password in PGPASSWORD (default `secret`); each run gets a fresh database `bench`.
# Prints one line per run: `source|sqlite|postgres|joined SECONDS`.
set -euo pipefail
export PGPASSWORD=${PGPASSWORD:-secret}
cd "$(dirname "$0")/.."
source bench/common.sh
n=${1:-10000}; runs=${2:-5}; pgport=${3:-5432}
cargo build --release --locked -q
bin=$PWD/target/release/courant
work_folder "$n"
"$bin" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null 2>&1
eml=$(ls eml/*.eml)
start_sink
for i in $(seq "$runs"); do
  s=$(now); smtp-source -d -s 4 -m "$n" -f nieuwsbrief@weerbaarnl.example -t reader@example.org -F "$eml" 127.0.0.1:"$port"; e=$(now)
  echo "source $(seconds "$s" "$e")"
  rm -f ledger.sqlite*
  s=$(now); "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger ledger.sqlite >/dev/null 2>&1; e=$(now)
  echo "sqlite $(seconds "$s" "$e")"
  psql -q -h 127.0.0.1 -p $pgport -U postgres -d postgres -c "drop database if exists bench" -c "create database bench owner courant" >/dev/null
  s=$(now); "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger "postgres://courant@127.0.0.1:$pgport/bench?sslmode=disable" >/dev/null 2>pg.err || { cat pg.err; exit 1; }; e=$(now)
  echo "postgres $(seconds "$s" "$e")"
  psql -q -h 127.0.0.1 -p $pgport -U postgres -d postgres -c "drop database if exists bench" -c "create database bench owner courant" >/dev/null
  # The tables exist before the two start, as they do on a ledger in use.
  "$bin" ledger check --ledger "postgres://courant@127.0.0.1:$pgport/bench?sslmode=disable" >/dev/null
  s=$(now)
  for j in 1 2; do
    "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 2 --yes --join --ledger "postgres://courant@127.0.0.1:$pgport/bench?sslmode=disable" >join$j.out 2>&1 &
    pids[$j]=$!
  done
  wait "${pids[1]}" || { cat join1.out; exit 1; }
  wait "${pids[2]}" || { cat join2.out; exit 1; }
  e=$(now)
  echo "joined $(seconds "$s" "$e") $(tail -qn1 join1.out join2.out | tr '\n' ' ')"
done
