#!/usr/bin/env bash
# Throughput of `courant send` beside Postfix's smtp-source, in one run, to one smtp-sink.
#
#   bench/throughput.sh [MESSAGES] [embed|link]
#
# Both send MESSAGES copies of the seed edition's .eml with 4 connections to a local smtp-sink
# (smtp-source -d -s 4 -m N -F file.eml; courant send --rate unlimited --concurrency 4).
# Prints messages per second for each, their ratio, and courant's peak RSS.
set -euo pipefail
# The seed's unsubscribe links carry a signed token; any secret will do for a benchmark.
export COURANT_UNSUBSCRIBE_SECRET=${COURANT_UNSUBSCRIBE_SECRET:-bench-only-0123456789}
cd "$(dirname "$0")/.."
n=${1:-5000}
images=${2:-link}

cargo build --release --locked -q
bin=$PWD/target/release/courant
work=$(mktemp -d)
trap 'kill "${sink:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r issues "$work/issues"
sed -i "s/^images = .*/images = \"$images\"/" "$work/issues/newsletter.toml"
python3 - "$work/list.toml" "$n" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f'[[subscriber]]\nemail = "reader{i}@example.org"\nname = "Reader {i}"\n\n')
PY
cd "$work"
"$bin" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null
eml=$(ls eml/*.eml)
size=$(wc -c < "$eml")

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
user=(); [ "$(id -u)" = 0 ] && user=(-u nobody)
smtp-sink "${user[@]}" 127.0.0.1:"$port" 256 & sink=$!
sleep 0.3

now() { date +%s.%N; }
t0=$(now)
smtp-source -d -s 4 -m "$n" -f nieuwsbrief@weerbaarnl.example -t reader@example.org -F "$eml" 127.0.0.1:"$port"
t1=$(now)
/usr/bin/time -f "%M" -o rss.txt "$bin" send issues/2022-12.toml --subscribers list.toml \
  --smtp "smtp://127.0.0.1:$port?tls=none" --rate unlimited --concurrency 4 --yes --ledger ledger.sqlite > send.out 2> send.err
t2=$(now)
tail -1 send.out

python3 - "$n" "$size" "$t0" "$t1" "$t2" "$(cat rss.txt)" <<'PY'
import sys
n, size = int(sys.argv[1]), int(sys.argv[2])
t0, t1, t2 = map(float, sys.argv[3:6])
rss_kb = int(sys.argv[6])
source, courant = n / (t1 - t0), n / (t2 - t1)
print(f"messages: {n} of {size} bytes")
print(f"smtp-source -d -s 4: {t1 - t0:.2f} s, {source:.0f} msgs/s")
print(f"courant send -c 4:   {t2 - t1:.2f} s, {courant:.0f} msgs/s (ratio {courant / source:.2f})")
print(f"courant peak RSS:    {rss_kb / 1024:.1f} MiB")
PY
