#!/usr/bin/env bash
# The signup form of `courant serve-public` under load: the form's GET and a reader's manage
# page's GET (each median and 95th percentile over 500, one at a time) and POSTs of distinct addresses from one client, 8 at a
# time, with the default limits (after 20 an hour from one address, the same page and nothing
# done) and with the per-address limit lifted (every POST a pending row and a mail through
# Postfix's smtp-sink). SQLite ledger, release build.
#
#   bench/signup.sh [POSTS]
#
# COURANT_BIN=path runs that binary instead of building this tree's (to compare two builds);
# MANAGE=0 leaves out `[manage]` and its page, for a build that has none.
set -euo pipefail
source "$(dirname "$0")/common.sh"
posts=${1:-2000}
if [ -z "${COURANT_BIN:-}" ]; then
  (cd "$bench_root" && cargo build --release --locked -q)
fi
bin=${COURANT_BIN:-$bench_root/target/release/courant}
manage=${MANAGE:-1}
work_folder 0
start_sink
for limit in 20 1000000; do
  rm -f issues/courant.sqlite*
  sed -i '/^\[signup\]/,$d' issues/newsletter.toml
  cat >> issues/newsletter.toml <<TOML
[signup]
url = "https://nieuwsbrief.example.nl/aanmelden"
confirm-url = "https://nieuwsbrief.example.nl/bevestigen/{token}"
consent = "Ja, stuur mij de nieuwsbrief."
per-ip = $limit
TOML
  if [ "$manage" = 1 ]; then
    printf '\n[manage]\nurl = "https://nieuwsbrief.example.nl/beheer/{token}"\nfields = ["regio"]\n' \
      >>issues/newsletter.toml
    "$bin" subscribers add anne@example.org --name Anne --field regio=Oost --source bench >/dev/null
  fi
  web=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "$bin" serve-public issues/newsletter.toml --listen "127.0.0.1:$web" --smtp "smtp://127.0.0.1:$port?tls=none" >/dev/null 2>&1 &
  server=$!
  sleep 0.5
  list_id=$(sed -n 's/^list-id = "\(.*\)"/\1/p' issues/newsletter.toml)
  python3 - "$web" "$posts" "$limit" "$list_id" "$manage" <<'PY'
import base64, hashlib, hmac, http.client, os, statistics, sys, time
from concurrent.futures import ThreadPoolExecutor
port, posts, limit, list_id = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
with_manage = sys.argv[5] == "1"
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
# A manage token as courant makes it (src/unsubscribe.rs, purpose_token).
signed = f"m.{b64(b'anne@example.org')}.{int(time.time()) + 86400}"
secret = os.environ["COURANT_UNSUBSCRIBE_SECRET"].encode()
mac = hmac.new(secret, f"{list_id}\npurpose\n{signed}".encode(), hashlib.sha256).digest()[:16]
manage = f"/beheer/{signed}.{b64(mac)}"
def get(path="/aanmelden"):
    c = http.client.HTTPConnection("127.0.0.1", port); t = time.perf_counter()
    c.request("GET", path); r = c.getresponse(); r.read(); assert r.status == 200, r.status
    return time.perf_counter() - t
def post(i):
    c = http.client.HTTPConnection("127.0.0.1", port)
    c.request("POST", "/aanmelden", f"email=lezer{i}%40voorbeeld.nl",
              {"Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse(); r.read(); return r.status
if limit == "20":
    times = sorted(get() for _ in range(500))
    print(f"GET form: median {statistics.median(times)*1000:.2f} ms, p95 {times[474]*1000:.2f} ms")
    if with_manage:
        times = sorted(get(manage) for _ in range(500))
        print(f"GET manage page: median {statistics.median(times)*1000:.2f} ms, p95 {times[474]*1000:.2f} ms")
t = time.perf_counter()
with ThreadPoolExecutor(8) as pool:
    statuses = list(pool.map(post, range(posts)))
elapsed = time.perf_counter() - t
print(f"per-ip {limit}: {posts} POSTs in {elapsed:.2f} s, {posts/elapsed:.0f}/s, all 200: {set(statuses) == {200}}")
PY
  kill "$server"; wait "$server" 2>/dev/null || true
done
