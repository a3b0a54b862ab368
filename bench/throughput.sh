#!/usr/bin/env bash
# Throughput of `courant send` beside Postfix's smtp-source, in one run, to one smtp-sink.
#
#   bench/throughput.sh [MESSAGES] [embed|link]
#
# Both send MESSAGES copies of the seed edition's .eml with 4 connections to a local smtp-sink
# (smtp-source -d -s 4 -m N -F file.eml; courant send --rate unlimited --concurrency 4).
# Prints messages per second for each, their ratio, and courant's peak RSS.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
n=${1:-5000}
images=${2:-link}

cargo build --release --locked -q
bin=$PWD/target/release/courant
work_folder "$n" "$images"
"$bin" preview issues/2022-12.toml --subscribers list.toml --out eml --limit 1 >/dev/null
eml=$(ls eml/*.eml)
size=$(wc -c < "$eml")

start_sink

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
