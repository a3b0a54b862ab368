#!/usr/bin/env bash
# `courant send` unsigned and DKIM-signed (RSA-2048), alternating in one run, to one smtp-sink;
# with a second binary OLD, its signed send too (A/B of a signing change).
#
#   bench/dkim.sh [MESSAGES] [RUNS] [OLD]
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
cargo build --release --locked -q
NEW=$PWD/target/release/courant; n=${1:-3000}; runs=${2:-5}; OLD=${3:+$(realpath "$3")}
work_folder "$n"
mkdir plain signed
mv issues plain/issues
cp -r plain/issues signed/issues
openssl genrsa -traditional -out signed/issues/dkim.pem 2048 2>/dev/null
printf '\n[dkim]\nselector = "nb2022"\ndomain = "weerbaarnl.example"\nkey-file = "dkim.pem"\n' >> signed/issues/newsletter.toml
start_sink
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
