#!/usr/bin/env bash
# The list in the ledger at 100,000 readers: `subscribers import` of a CSV export (semicolons,
# CRLF, two field columns) into an empty SQLite ledger, and a send's plan from the stored list
# (`send` up to its confirmation, which it refuses without a terminal). Wall seconds and peak
# memory (maximum resident set) per run; with two builds, their runs alternate (A B A B …).
#
#   bench/list.sh [BINARY [BINARY_B]] [--rows N] [--runs R]
set -euo pipefail
source "$(dirname "$0")/common.sh"
bins=(); rows=100000; runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) bins+=("$(realpath "$1")"); shift ;;
  esac
done
if [ ${#bins[@]} -eq 0 ]; then
  (cd "$bench_root" && cargo build --release --locked -q)
  bins=("$bench_root/target/release/courant")
fi
work_folder 0
python3 - leden.csv "$rows" <<'PY'
import sys
regions = ["Oost", "West", "Noord", "Zuid"]
with open(sys.argv[1], "w", newline="") as f:
    f.write("email;naam;regio;tags\r\n")
    for i in range(int(sys.argv[2])):
        tags = "pers" if i % 10 == 0 else ""
        f.write(f"lezer{i}@voorbeeld{i % 500}.nl;Lezer {i};{regions[i % 4]};{tags}\r\n")
PY
for i in $(seq "$runs"); do
  for n in "${!bins[@]}"; do
    bin=${bins[$n]}; name=$(printf "\\x$(printf %x $((65 + n)))")
    rm -f issues/courant.sqlite*
    /usr/bin/time -f "$name import %e s %M KiB" "$bin" -q subscribers import leden.csv --source bench >/dev/null 2>"$work/err" || true
    tail -1 "$work/err"
    /usr/bin/time -f "$name plan %e s %M KiB" "$bin" send issues/2022-12.toml --smtp "smtp://127.0.0.1:9?tls=none" </dev/null >/dev/null 2>"$work/err" || true
    tail -1 "$work/err"
  done
done
