#!/usr/bin/env bash
# Two builds of courant against each other, alternating in one run with Postfix's smtp-source
# (source, A, B, source, …), to one smtp-sink: link mode, 4 connections, a SQLite ledger.
# Prints wall, user and system seconds per run, for a change made for speed.
#
#   bench/ab.sh A_BINARY B_BINARY [MESSAGES] [RUNS]
set -euo pipefail
source "$(dirname "$0")/common.sh"
A=$(realpath "$1"); B=$(realpath "$2"); n=${3:-10000}; runs=${4:-5}
work_folder "$n"
"$A" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null 2>&1
eml=$(ls eml/*.eml)
start_sink
for i in $(seq "$runs"); do
  s=$(now); smtp-source -d -s 4 -m "$n" -f nieuwsbrief@weerbaarnl.example -t reader@example.org -F "$eml" 127.0.0.1:"$port"; e=$(now)
  echo "source $(seconds "$s" "$e")"
  for x in A B; do
    bin=${!x}; rm -f ledger.sqlite*
    /usr/bin/time -f "$x %e s wall %U user %S sys" "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger ledger.sqlite >/dev/null 2>"$work/err"; tail -1 "$work/err"
  done
done
