#!/usr/bin/env bash
# Interleaved, rotated rounds of the end-to-end benchmark: each round runs
# every scenario once for apikit and once for the baseline, alternating which
# goes first, then benchstat compares the two sides in the same run.
#   bash bench/e2e.sh [rounds] [requests-per-slice]
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-8} n=${2:-3000}
out=$(mktemp -d)
go test -c -o "$out/bench.test" . >/dev/null
# The demo and the baseline are built once, into $out, by the first run.
export APIKIT_E2E_BIN=$out
for i in $(seq 1 "$rounds"); do
  for s in get replay new; do
    if (( i % 2 )); then order="apikit baseline"; else order="baseline apikit"; fi
    for side in $order; do
      "$out/bench.test" -test.run '^$' -test.bench "E2E/$s/$side\$" -test.benchtime "${n}x" \
        | sed -n "s|E2E/$s/$side|E2E/$s|p" >>"$out/$side.txt"
    done
  done
done
cd "$out" && go run golang.org/x/perf/cmd/benchstat@latest baseline.txt apikit.txt
echo "raw results in $out"
