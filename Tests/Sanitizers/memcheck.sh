#!/bin/sh
# Memory growth of a training run under valgrind: the same run for 100 and for 1,000 steps must end
# with the same leak summary (nothing definitely or indirectly lost, and no more possibly lost or
# still reachable after 1,000 steps than after 100). Valgrind 3.19 cannot read the DWARF 5 that
# Swift writes, so it runs stripped copies of `zoo` and the plug-ins.
set -eu
products=${1:-.build/release}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$products/zoo" "$products"/lib*.so "$work/"
strip -g "$work/zoo" "$work"/lib*.so
"$work/zoo" plugin seal "$work"/lib*.so >/dev/null
manifest=$(dirname "$0")/memcheck.yaml
summary() {   # epochs → "definitely indirectly possibly reachable" in bytes
  valgrind --leak-check=full "$work/zoo" train "$manifest" --plugin-path "$work" --out "$work/run$1" \
    --set training.epochs=$1 --set evaluation.every=$1 --log-every 0 >"$work/log$1" 2>&1
  for kind in "definitely lost" "indirectly lost" "possibly lost" "still reachable"; do
    grep "$kind:" "$work/log$1" | sed 's/.*: \([0-9,]*\) bytes.*/\1/' | tr -d ,
  done | tr '\n' ' '
}
short=$(summary 10)    # 10 steps per epoch: 100 steps
long=$(summary 100)    # 1,000 steps
echo "100 steps:   definitely, indirectly, possibly lost, still reachable (bytes): $short"
echo "1,000 steps: definitely, indirectly, possibly lost, still reachable (bytes): $long"
set -- $short; s1=$1 s2=$2 s3=$3 s4=$4
set -- $long
[ "$1" -eq 0 ] && [ "$2" -eq 0 ] && [ "$3" -le "$s3" ] && [ "$4" -le "$s4" ] || { echo "memory grows with the run" >&2; exit 1; }
echo "no growth"
