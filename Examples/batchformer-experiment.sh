#!/usr/bin/env bash
# Does BatchFormer help on Fashion-MNIST-LT? Trains the demo recipe with and without BatchFormer
# (the `identity` relation stands in for it: same pipeline, no batch transformer) for cross-entropy
# and balanced softmax, over three seeds, by overriding the recipe from the command line; then
# writes a markdown table of mean ± standard deviation of overall / many / medium / few accuracy
# (OUT_DIR/table.md) and one figure of the same numbers: bars with ± one standard deviation
# (OUT_DIR/figure.svg, written with Python's standard library alone).
#
#   Examples/batchformer-experiment.sh [OUT_DIR]      (after `make demo` or `swift build -c release`)
#
# Environment: SEEDS (default "0 1 2"), EPOCHS (default: the recipe's), ZOO (default .build/release/zoo),
# RECIPE (default: the Fashion-MNIST-LT demo; any recipe whose first relation is BatchFormer V1).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/batchformer-experiment}
zoo=${ZOO:-.build/release/zoo}
seeds=${SEEDS:-0 1 2}
recipe=${RECIPE:-Examples/recipes/fashion-mnist-lt-batchformer.yaml}
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
losses = ("cross-entropy", "balanced-softmax")
models = (("identity", "baseline"), ("batchformer-v1", "+ BatchFormer"))
keys = (("top1", "overall"), ("many", "many"), ("medium", "medium"), ("few", "few"))
# results[loss][relation][key] = (mean, standard deviation) in %
results, rows = {}, []
for loss in losses:
    for relation, label in models:
        reports = [json.load(open(f"{out}/{loss}-{relation}-seed{s}/evaluation.json")) for s in seeds]
        cells = []
        for key, _ in keys:
            values = [100 * r[key] for r in reports]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            results.setdefault(loss, {}).setdefault(relation, {})[key] = (statistics.mean(values), spread)
            cells.append(f"{statistics.mean(values):.2f} ± {spread:.2f}")
        rows.append(f"| {loss} | {label} | " + " | ".join(cells) + " |")
table = "\n".join(["| loss | model | overall | many | medium | few |", "| --- | --- | ---: | ---: | ---: | ---: |"] + rows)
open(f"{out}/table.md", "w").write(table + "\n")
print(table)

# The figure: one panel per loss; in each, the four accuracies as pairs of bars (baseline,
# + BatchFormer) with ± one standard deviation over the seeds as error bars.
colours = {"identity": "#9aa0a6", "batchformer-v1": "#3367d6"}
panel_width, height, left, top, bottom = 330, 300, 50, 50, 40
plot_height = height - top - bottom
width = left + len(losses) * (panel_width + 20) + 10
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height + 30}" font-family="sans-serif">',
       '<rect width="100%" height="100%" fill="white"/>',
       f'<text x="{width / 2}" y="20" text-anchor="middle" font-size="14">'
       f'test accuracy (%), mean ± std over seeds {", ".join(seeds)}</text>']
def y(percent): return top + plot_height * (1 - percent / 100)
for p, loss in enumerate(losses):
    x0 = left + p * (panel_width + 20)
    for tick in range(0, 101, 20):
        svg.append(f'<line x1="{x0}" y1="{y(tick):.1f}" x2="{x0 + panel_width}" y2="{y(tick):.1f}" stroke="#e0e0e0"/>')
        if p == 0:
            svg.append(f'<text x="{x0 - 6}" y="{y(tick) + 4:.1f}" text-anchor="end" font-size="11">{tick}</text>')
    svg.append(f'<line x1="{x0}" y1="{top}" x2="{x0}" y2="{top + plot_height}" stroke="black"/>')
    svg.append(f'<line x1="{x0}" y1="{top + plot_height}" x2="{x0 + panel_width}" y2="{top + plot_height}" stroke="black"/>')
    svg.append(f'<text x="{x0 + panel_width / 2}" y="{top - 12}" text-anchor="middle" font-size="13">{loss}</text>')
    slot = panel_width / len(keys)
    for k, (key, name) in enumerate(keys):
        for m, (relation, _) in enumerate(models):
            mean, spread = results[loss][relation][key]
            bar_x = x0 + k * slot + slot * 0.15 + m * slot * 0.35
            svg.append(f'<rect x="{bar_x:.1f}" y="{y(mean):.1f}" width="{slot * 0.35:.1f}" '
                       f'height="{top + plot_height - y(mean):.1f}" fill="{colours[relation]}"/>')
            centre, low, high = bar_x + slot * 0.175, y(max(0, mean - spread)), y(min(100, mean + spread))
            svg.append(f'<line x1="{centre:.1f}" y1="{low:.1f}" x2="{centre:.1f}" y2="{high:.1f}" stroke="black"/>')
            for end in (low, high):
                svg.append(f'<line x1="{centre - 4:.1f}" y1="{end:.1f}" x2="{centre + 4:.1f}" y2="{end:.1f}" stroke="black"/>')
        svg.append(f'<text x="{x0 + (k + 0.5) * slot:.1f}" y="{top + plot_height + 16}" text-anchor="middle" '
                   f'font-size="12">{name}</text>')
for m, (relation, label) in enumerate(models):
    lx = left + m * 140
    svg.append(f'<rect x="{lx}" y="{height}" width="12" height="12" fill="{colours[relation]}"/>')
    svg.append(f'<text x="{lx + 18}" y="{height + 11}" font-size="12">{label}</text>')
svg.append("</svg>")
open(f"{out}/figure.svg", "w").write("\n".join(svg) + "\n")
print(f"wrote {out}/table.md and {out}/figure.svg")
PY
