#!/usr/bin/env bash
# Rate accuracy of `courant send`: RATE per second for SECONDS, measured at the server.
#
#   bench/rate.sh [RATE] [SECONDS] [BURST]
#
# smtp-sink writes one file per message; each file's modification time is the moment the
# message arrived. Prints the mean rate over the run and the most messages in any sliding
# one-second window (which must not exceed rate + burst).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
rate=${1:-50}
seconds=${2:-20}
burst=${3:-1}
n=$((rate * seconds))

cargo build --release --locked -q
bin=$PWD/target/release/courant
work_folder "$n"
chmod 755 "$work"; mkdir "$work/dump"; chmod 777 "$work/dump"
start_sink -d "$work/dump/%H%M%S."
"$bin" send issues/2022-12.toml --subscribers list.toml --smtp "smtp://127.0.0.1:$port?tls=none" \
  --rate "$rate/s" --burst "$burst" --concurrency 4 --yes --ledger ledger.sqlite | tail -1
sleep 0.5
python3 - "$work/dump" "$rate" "$burst" <<'PY'
import os, sys, bisect
d, rate, burst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
times = sorted(os.stat(os.path.join(d, f)).st_mtime_ns / 1e9 for f in os.listdir(d))
n = len(times)
mean = (n - 1) / (times[-1] - times[0])
worst = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
print(f"messages: {n} at {rate}/s, burst {burst}, over {times[-1] - times[0]:.2f} s")
print(f"mean rate: {mean:.2f}/s ({(mean / rate - 1) * 100:+.2f} %)")
print(f"most in any 1-second window: {worst} (limit {rate + burst})")
PY
