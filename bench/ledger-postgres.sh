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
export COURANT_UNSUBSCRIBE_SECRET=${COURANT_UNSUBSCRIBE_SECRET:-bench-only-0123456789}
export PGPASSWORD=${PGPASSWORD:-secret}
cd "$(dirname "$0")/.."
n=${1:-10000}; runs=${2:-5}; pgport=${3:-5432}
cargo build --release --locked -q
bin=$PWD/target/release/courant
work=$(mktemp -d); trap 'kill "${sink:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r issues "$work/issues"
sed -i 's/^images = .*/images = "link"/' "$work/issues/newsletter.toml"
python3 - "$work/list.toml" "$n" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f'[[subscriber]]\nemail = "reader{i}@example.org"\nname = "Reader {i}"\n\n')
PY
cd "$work"
"$bin" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null 2>&1
eml=$(ls eml/*.eml)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
smtp-sink "${user[@]}" 127.0.0.1:"$port" 256 & sink=$!
sleep 0.3
t() { date +%s.%N; }
for i in $(seq "$runs"); do
  s=$(t); smtp-source -d -s 4 -m "$n" -f nieuwsbrief@weerbaarnl.example -t reader@example.org -F "$eml" 127.0.0.1:"$port"; e=$(t)
  echo "source $(python3 -c "print(f'{$e-$s:.3f}')")"
  rm -f ledger.sqlite*
  s=$(t); "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger ledger.sqlite >/dev/null 2>&1; e=$(t)
  echo "sqlite $(python3 -c "print(f'{$e-$s:.3f}')")"
  psql -q -h 127.0.0.1 -p $pgport -U postgres -d postgres -c "drop database if exists bench" -c "create database bench owner courant" >/dev/null
  s=$(t); "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger "postgres://courant@127.0.0.1:$pgport/bench?sslmode=disable" >/dev/null 2>pg.err || { cat pg.err; exit 1; }; e=$(t)
  echo "postgres $(python3 -c "print(f'{$e-$s:.3f}')")"
  psql -q -h 127.0.0.1 -p $pgport -U postgres -d postgres -c "drop database if exists bench" -c "create database bench owner courant" >/dev/null
  # The tables exist before the two start, as they do on a ledger in use.
  "$bin" ledger check --ledger "postgres://courant@127.0.0.1:$pgport/bench?sslmode=disable" >/dev/null
  s=$(t)
  for j in 1 2; do
    "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 2 --yes --join --ledger "postgres://courant@127.0.0.1:$pgport/bench?sslmode=disable" >join$j.out 2>&1 &
    pids[$j]=$!
  done
  wait "${pids[1]}" || { cat join1.out; exit 1; }
  wait "${pids[2]}" || { cat join2.out; exit 1; }
  e=$(t)
  echo "joined $(python3 -c "print(f'{$e-$s:.3f}')") $(tail -qn1 join1.out join2.out | tr '\n' ' ')"
done
