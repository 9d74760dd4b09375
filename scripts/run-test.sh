#!/usr/bin/env bash
# The original experiment's script, for this binary: three actors on ports BASE..BASE+2 (default
# 8000), each logging to actor-N.log in the current directory. Extra arguments go to every actor
# (e.g. --interval 100-500 --mutations 50). Ctrl-C stops them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[[ -f "$root/dist/cli.js" ]] || (cd "$root" && npm run build --silent)
base=${BASE:-8000}
pids=()
stop() { kill "${pids[@]}" 2>/dev/null || true; wait; }
trap stop EXIT INT TERM
for i in 0 1 2; do
  node "$root/dist/cli.js" --actor "$i" --count 3 --base "$base" "$@" 2>"actor-$i.log" &
  pids+=($!)
done
echo "3 actors on ports $base..$((base + 2)); logs in actor-0.log actor-1.log actor-2.log; Ctrl-C stops them"
echo "watch convergence with: grep 'match count' actor-0.log | tail -1"
wait
