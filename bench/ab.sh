#!/usr/bin/env bash
# Two builds of courant against each other, alternating in one run with Postfix's smtp-source
# (source, A, B, source, …), to one smtp-sink: link mode, 4 connections, a SQLite ledger.
# Prints wall, user and system seconds per run, for a change made for speed.
#
#   bench/ab.sh A_BINARY B_BINARY [MESSAGES] [RUNS]
set -euo pipefail
export COURANT_UNSUBSCRIBE_SECRET=bench-only-0123456789
A=$(realpath "$1"); B=$(realpath "$2"); n=${3:-10000}; runs=${4:-5}
work=$(mktemp -d); trap 'kill "${sink:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$(dirname "$0")/../issues" "$work/issues"
sed -i 's/^images = .*/images = "link"/' "$work/issues/newsletter.toml"
python3 - "$work/list.toml" "$n" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f'[[subscriber]]\nemail = "reader{i}@example.org"\nname = "Reader {i}"\n\n')
PY
cd "$work"
"$A" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null 2>&1
eml=$(ls eml/*.eml)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
smtp-sink "${user[@]}" 127.0.0.1:"$port" 256 & sink=$!
sleep 0.3
t() { date +%s.%N; }
for i in $(seq "$runs"); do
  s=$(t); smtp-source -d -s 4 -m "$n" -f nieuwsbrief@weerbaarnl.example -t reader@example.org -F "$eml" 127.0.0.1:"$port"; e=$(t)
  echo "source $(python3 -c "print(f'{$e-$s:.3f}')")"
  for x in A B; do
    bin=${!x}; rm -f ledger.sqlite*
    /usr/bin/time -f "$x %e s wall %U user %S sys" "$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger ledger.sqlite >/dev/null 2>"$work/err"; tail -1 "$work/err"
  done
done
