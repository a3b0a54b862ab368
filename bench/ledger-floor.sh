#!/usr/bin/env bash
# What the durable ledger costs a send: smtp-source, then `courant send` with its SQLite ledger
# on disk, then the same with the ledger in memory (/dev/shm: no disk writes, so no durability;
# a diagnostic, never a setting), alternating in one run to one smtp-sink; link mode,
# 4 connections. Prints wall, user and system seconds per run.
#
#   bench/ledger-floor.sh [MESSAGES] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
cargo build --release --locked -q
bin=$PWD/target/release/courant; n=${1:-10000}; runs=${2:-5}
work_folder "$n"
"$bin" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null 2>&1
eml=$(ls eml/*.eml)
memory=$(mktemp -d /dev/shm/courant-bench.XXXXXX)
trap 'kill "${sink:-}" 2>/dev/null || true; rm -rf "$work" "$memory"' EXIT
start_sink
one() { # label ledger
  rm -f "$2"*
  /usr/bin/time -f "$1 %e s wall %U user %S sys" "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger "$2" >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  tail -1 "$work/err"
}
for i in $(seq "$runs"); do
  s=$(now); smtp-source -d -s 4 -m "$n" -f nieuwsbrief@weerbaarnl.example -t reader@example.org -F "$eml" 127.0.0.1:"$port"; e=$(now)
  echo "source $(seconds "$s" "$e") s wall"
  one disk "$work/ledger.sqlite"
  one memory "$memory/ledger.sqlite"
done
