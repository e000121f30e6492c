#!/usr/bin/env bash
# Does BatchFormer help on Fashion-MNIST-LT? Trains the demo recipe with and without BatchFormer
# (the `identity` relation stands in for it: same pipeline, no batch transformer) for cross-entropy
# and balanced softmax, over three seeds, by overriding the recipe from the command line; then
# writes a markdown table of mean ± standard deviation of overall / many / medium / few accuracy.
#
#   Examples/batchformer-experiment.sh [OUT_DIR]      (after `make demo` or `swift build -c release`)
#
# Environment: SEEDS (default "0 1 2"), EPOCHS (default: the recipe's), ZOO (default .build/release/zoo).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/batchformer-experiment}
zoo=${ZOO:-.build/release/zoo}
seeds=${SEEDS:-0 1 2}
recipe=Examples/recipes/fashion-mnist-lt-batchformer.yaml
mkdir -p "$out"
epochs=()
[ -n "${EPOCHS:-}" ] && epochs=(--set "training.epochs=$EPOCHS")

for loss in cross-entropy balanced-softmax; do
  for relation in identity batchformer-v1; do
    for seed in $seeds; do
      run="$out/$loss-$relation-seed$seed"
      [ -f "$run/evaluation.json" ] && continue
      echo "== $loss, $relation, seed $seed"
      config=()
      # The identity relation takes no BatchFormer keys.
      [ "$relation" = identity ] && config=(--set "model.relations.0.config={}")
      "$zoo" train "$recipe" --plugin-path .build/release --out "$run" --log-every 1000 \
        --set "model.losses.0.module=$loss" --set "model.relations.0.module=$relation" "${config[@]}" \
        --set "training.seed=$seed" "${epochs[@]}" | tail -3
    done
  done
done

python3 - "$out" $seeds <<'PY'
import json, statistics, sys
out, seeds = sys.argv[1], sys.argv[2:]
rows = []
for loss in ("cross-entropy", "balanced-softmax"):
    for relation, label in (("identity", "baseline"), ("batchformer-v1", "+ BatchFormer")):
        reports = [json.load(open(f"{out}/{loss}-{relation}-seed{s}/evaluation.json")) for s in seeds]
        cells = []
        for key in ("top1", "many", "medium", "few"):
            values = [100 * r[key] for r in reports]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            cells.append(f"{statistics.mean(values):.2f} ± {spread:.2f}")
        rows.append(f"| {loss} | {label} | " + " | ".join(cells) + " |")
table = "\n".join(["| loss | model | overall | many | medium | few |", "| --- | --- | ---: | ---: | ---: | ---: |"] + rows)
open(f"{out}/table.md", "w").write(table + "\n")
print(table)
PY
