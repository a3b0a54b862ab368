#!/usr/bin/env bash
# How well `courant bounces classify` agrees with a reference set of real bounces.
#
#   bench/bounces.sh [DIR] [--verbose]
#
# DIR holds `mail/` (messages), `not-bounces/` and `expected.tsv` (file, status, reply, reason,
# hard, feedback; one row per bounced recipient), as in the shared bounce collection; default
# ../shared/bounces. Prints the agreement on `hard`, the share of rows that are not hard but
# classified hard, complaints, status codes and the not-bounces, a confusion table, and the
# speed over all messages on one core (release build, best of 5 runs). With --verbose, every
# row that disagrees.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-../shared/bounces}
verbose=${2:-}
if [ ! -f "$dir/expected.tsv" ]; then
  echo "no reference set at $dir (expected.tsv); nothing to measure"
  exit 0
fi
cargo build --release --locked -q
bin=target/release/courant
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$bin" bounces classify --json "$dir"/mail/* "$dir"/not-bounces/* > "$out"

python3 - "$dir" "$out" "$verbose" <<'PY'
import collections, json, os, sys
folder, results, verbose = sys.argv[1], sys.argv[2], sys.argv[3] == "--verbose"
got = collections.defaultdict(list)
for line in open(results):
    v = json.loads(line)
    got[os.path.basename(v["file"]).split("#")[0]].append(v)
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(folder, "expected.tsv"))][1:]
expected = collections.defaultdict(list)
for r in rows:
    r += [""] * (6 - len(r))
    expected[r[0]].append(dict(status=r[1], reply=r[2], reason=r[3], hard=r[4] == "true", feedback=r[5]))

def pair(exp, mine):
    """Rows with the same status first, then in order."""
    mine = list(mine)
    pairs = [None] * len(exp)
    for i, e in enumerate(exp):
        for j, m in enumerate(mine):
            if m is not None and e["status"] and m["status"] == e["status"]:
                pairs[i], mine[j] = m, None
                break
    rest = [m for m in mine if m is not None]
    for i in range(len(exp)):
        if pairs[i] is None and rest:
            pairs[i] = rest.pop(0)
    return pairs

def category(e):
    if e["hard"]: return "hard"
    return {"feedback": "feedback", "vacation": "autoreply", "delivered": "delivered"}.get(e["reason"], "soft")

n = agree = not_hard = false_hard = feedback = feedback_ok = with_status = status_ok = 0
hard_rows = hard_found = 0
confusion = collections.Counter()
misses = []
for file, exp in sorted(expected.items()):
    for e, m in zip(exp, pair(exp, got.get(file, []))):
        n += 1
        kind = m["kind"] if m else "missing"
        is_hard = kind == "hard"
        confusion[(category(e), kind)] += 1
        ok = is_hard == e["hard"]
        agree += ok
        if e["hard"]:
            hard_rows += 1; hard_found += is_hard
        else:
            not_hard += 1; false_hard += is_hard
        if e["reason"] == "feedback":
            feedback += 1; feedback_ok += kind in ("complaint", "unsubscribe")
        if e["status"]:
            with_status += 1; status_ok += bool(m) and m["status"] == e["status"]
        wrong_status = e["status"] and not (m and m["status"] == e["status"])
        if not ok or wrong_status or (e["reason"] == "feedback" and kind not in ("complaint", "unsubscribe")):
            misses.append((file, e, m))
nb = [v for f, vs in got.items() for v in vs if "not-bounces" in vs[0]["file"]]
nb_ok = sum(v["kind"] == "not-bounce" for v in nb)

pct = lambda a, b: f"{100 * a / b:.1f} % ({a}/{b})" if b else "n/a"
print(f"rows                          {n} in {len(expected)} files")
print(f"hard verdict agrees           {pct(agree, n)}")
print(f"not hard, classified hard     {pct(false_hard, not_hard)}")
print(f"hard, classified hard         {pct(hard_found, hard_rows)}")
print(f"feedback -> complaint/unsub.  {pct(feedback_ok, feedback)}")
print(f"status agrees (rows with one) {pct(status_ok, with_status)}")
print(f"not-bounces -> not-bounce     {pct(nb_ok, len(nb))}")
kinds = ["hard", "soft", "complaint", "unsubscribe", "autoreply", "delivered", "not-bounce", "missing"]
print("\nreference \\ courant  " + " ".join(f"{k[:9]:>9}" for k in kinds))
for c in ["hard", "soft", "feedback", "autoreply", "delivered"]:
    print(f"{c:<20} " + " ".join(f"{confusion[(c, k)]:>9}" for k in kinds))
if verbose:
    print()
    for file, e, m in misses:
        print(f"{file}\texpected {e['reason']}{'(hard)' if e['hard'] else ''} {e['status'] or '-'}\tgot {m['kind'] if m else 'missing'} {m['reason'] if m else ''} {m['status'] if m else ''}\t{(m or {}).get('diagnostic') or ''}"[:300])
PY

count=$(( $(ls "$dir"/mail | wc -l) + $(ls "$dir"/not-bounces | wc -l) ))
best=""
for _ in 1 2 3 4 5; do
  start=$(date +%s.%N)
  taskset -c 0 "$bin" bounces classify --json "$dir"/mail/* "$dir"/not-bounces/* > /dev/null
  end=$(date +%s.%N)
  t=$(echo "$end - $start" | bc -l)
  if [ -z "$best" ] || [ "$(echo "$t < $best" | bc -l)" = 1 ]; then best=$t; fi
done
echo
printf 'speed: %d messages in %.3f s on one core (best of 5, whole process): %.0f messages/s\n' \
  "$count" "$best" "$(echo "$count / $best" | bc -l)"
