#!/usr/bin/env bash
# `courant send` unsigned and DKIM-signed (RSA-2048), alternating in one run, to one smtp-sink;
# with a second binary OLD, its signed send too (A/B of a signing change).
#
#   bench/dkim.sh [MESSAGES] [RUNS] [OLD]
set -euo pipefail
export COURANT_UNSUBSCRIBE_SECRET=bench-only-0123456789
cd "$(dirname "$0")/.."
cargo build --release --locked -q
NEW=$PWD/target/release/courant; n=${1:-3000}; runs=${2:-5}; OLD=${3:-}
work=$(mktemp -d); trap 'kill "${sink:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
mkdir -p "$work/plain" "$work/signed"
for d in plain signed; do cp -r issues "$work/$d/issues"; sed -i 's/^images = .*/images = "link"/' "$work/$d/issues/newsletter.toml"; done
openssl genrsa -traditional -out "$work/signed/issues/dkim.pem" 2048 2>/dev/null
printf '\n[dkim]\nselector = "nb2022"\ndomain = "weerbaarnl.example"\nkey-file = "dkim.pem"\n' >> "$work/signed/issues/newsletter.toml"
python3 - "$work/list.toml" "$n" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f'[[subscriber]]\nemail = "reader{i}@example.org"\nname = "Reader {i}"\n\n')
PY
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
smtp-sink "${user[@]}" 127.0.0.1:"$port" 256 & sink=$!
sleep 0.3
one() { # label bin dir
  cd "$work/$3"; rm -f ledger.sqlite*
  /usr/bin/time -f "$1 %e s wall, %U s user, %S s sys" "$2" send issues/2022-12.toml --subscribers ../list.toml --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger ledger.sqlite >/dev/null 2>"$work/err" || { cat "$work/err"; exit 1; }
  tail -1 "$work/err"
}
for i in $(seq "$runs"); do
  one unsigned "$NEW" plain
  one signed "$NEW" signed
  if [ -n "$OLD" ]; then one signed-old "$OLD" signed; fi
done
