# Shared by the send benchmarks; source it from a script in bench/ after `set -euo pipefail`.
#
#   work_folder N [MODE]  a temporary folder ($work, removed at exit) holding the seed edition
#                       with `images = MODE` (default `link`) and `list.toml` of N readers;
#                       cd into it
#   start_sink [ARG…]   Postfix's smtp-sink on a free loopback port ($port), killed at exit;
#                       ARG… go before the address (e.g. `-d DIR/%H%M%S.`)
#   now                 seconds since 1970, with nanoseconds
#   seconds START END   END − START, three decimals

# The seed's unsubscribe links carry a signed token; any secret will do for a benchmark.
export COURANT_UNSUBSCRIBE_SECRET=${COURANT_UNSUBSCRIBE_SECRET:-bench-only-0123456789}
bench_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

work_folder() {
  work=$(mktemp -d)
  trap 'kill "${sink:-}" 2>/dev/null || true; rm -rf "$work"' EXIT
  cp -r "$bench_root/issues" "$work/issues"
  sed -i "s/^images = .*/images = \"${2:-link}\"/" "$work/issues/newsletter.toml"
  python3 - "$work/list.toml" "$1" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write(f'[[subscriber]]\nemail = "reader{i}@example.org"\nname = "Reader {i}"\n\n')
PY
  cd "$work"
}

start_sink() {
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local user=()
  [ "$(id -u)" = 0 ] && user=(-u nobody)
  smtp-sink "${user[@]}" "$@" 127.0.0.1:"$port" 256 &
  sink=$!
  sleep 0.3
}

now() { date +%s.%N; }
seconds() { python3 -c "print(f'{$2 - $1:.3f}')"; }
