#!/usr/bin/env bash
# `courant send` with a SQLite ledger and with a PostgreSQL ledger, beside Postfix's
# smtp-source, alternating in one run (source, sqlite, postgres, source, …), to one smtp-sink.
#
#   bench/ledger-postgres.sh [MESSAGES] [RUNS] [PGPORT]
#
# Needs a PostgreSQL on 127.0.0.1:PGPORT whose superuser `postgres` and user `courant` both
# have the password in PGPASSWORD (default `secret`); each run gets a fresh database `bench`.
# Prints one line per run: `source|sqlite|postgres SECONDS`.
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
done
