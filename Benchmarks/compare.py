#!/usr/bin/env python3
"""Zoo against PyTorch on the workloads of docs/ARCHITECTURE.md §5, side by side, in alternating rounds.

For each round and each workload, zoo-bench --worker and pytorch_workloads.py run the same
workload, each in its own process, one after the other (Zoo first in even rounds, PyTorch first in
odd ones), with the same thread count, warm-up and timed steps. Beside each run the driver measures
the CPU other work on the machine took (/proc/stat less the run's own time); a pair beside which
that exceeded --max-foreign cores is run again, up to --retries times, and the least disturbed
attempt is kept. The table gives, per workload, over the quiet pairs (all pairs when none was
quiet): the median samples/s of each side, the ratio Zoo / PyTorch (median, and min–max of the
pairs' ratios), the median peak RSS of each side, and how many pairs were quiet. W2 inference is
also compared with BatchFormer in the manifest and absent, against the run-to-run spread.

    python3 Benchmarks/compare.py [--rounds 5] [--threads N] [--python PYTHON] [--zoo-bench PATH]
                                  [--only NAME]... [--json FILE] [--omp-passive]
    python3 Benchmarks/compare.py --from-json FILE      the table of a saved run

This driver needs only the Python standard library; PYTHON (default /tmp/torchenv/bin/python) is
the interpreter that has torch. `make compare` builds Zoo in release and runs it.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# Workload → (warm-up steps, timed steps), the same on both sides; about a second or more of timed
# work each at 2 threads.
WORKLOADS = {
    "w1.train.bf": (2, 20),
    "w1.train.plain": (3, 60),
    "w2.train.bf": (2, 5),
    "w2.train.plain": (2, 5),
    "w2.infer": (2, 12),
    "w2.infer.bf-loaded": (2, 12),
}


def busy_seconds():
    """CPU seconds the whole machine has spent busy since boot (/proc/stat), or None."""
    try:
        with open("/proc/stat") as file:
            fields = [int(value) for value in file.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def children_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_json(command, environment):
    """Runs a command and returns the JSON object of its last output line, with `foreign_cores`:
    the CPU the rest of the machine used meanwhile, in cores (busy time not the command's, over
    the wall time)."""
    busy, own, start = busy_seconds(), children_seconds(), time.monotonic()
    completed = subprocess.run(command, env=environment, capture_output=True, text=True)
    wall = time.monotonic() - start
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({completed.returncode}):\n{completed.stderr}{completed.stdout}")
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    if busy is not None:
        foreign = (busy_seconds() - busy) - (children_seconds() - own)
        result["foreign_cores"] = max(0.0, foreign / wall)
    return result


def machine(zoo_bench):
    """The CPU, as zoo-bench --machine describes it (vendor, family/model, SIMD extensions, the kernel
    variant and OpenBLAS core chosen at load time), with lscpu's model name when zoo-bench cannot say."""
    try:
        output = subprocess.run([zoo_bench, "--machine"], capture_output=True, text=True, check=True).stdout
        return json.loads(output)
    except (OSError, subprocess.CalledProcessError, json.JSONDecodeError):
        pass
    try:
        output = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in output.splitlines():
            if line.startswith("Model name:"):
                return {"model_name": line.split(":", 1)[1].strip()}
    except OSError:
        pass
    return {"model_name": "unknown CPU"}


def describe_machine(machine):
    """One line for a report's machine: a description recorded by zoo-bench, or an older report's name."""
    if isinstance(machine, str):
        return machine
    identity = " ".join(([machine["vendor"]] if machine.get("vendor") else [])
                        + [f"{field} {machine[field]}" for field in ("family", "model") if machine.get(field) is not None])
    details = [identity, " ".join(machine.get("simd", [])), machine.get("kernel_variant") and f"kernels {machine['kernel_variant']}",
               machine.get("openblas_core") and f"OpenBLAS {machine['openblas_core']}"]
    known = "; ".join(d for d in details if d)
    return machine.get("model_name", "unknown CPU") + (f" ({known})" if known else "")


def mib(value):
    return f"{value / 1048576:.0f} MiB"


def spread(values):
    """(max − min) / median, in percent."""
    return (max(values) - min(values)) / statistics.median(values) * 100


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--python", default="/tmp/torchenv/bin/python", help="an interpreter with torch")
    parser.add_argument("--zoo-bench", default=os.path.join(ROOT, ".build", "release", "zoo-bench"))
    parser.add_argument("--only", action="append", choices=sorted(WORKLOADS), help="a workload (repeatable)")
    parser.add_argument("--json", help="also write every run's result to this file")
    parser.add_argument("--max-foreign", type=float, default=0.25,
                        help="other work (in cores) beside a run above which its pair is run again (default 0.25)")
    parser.add_argument("--retries", type=int, default=4, help="times a disturbed pair is run again (default 4)")
    parser.add_argument("--omp-passive", action="store_true",
                        help="run PyTorch with OMP_WAIT_POLICY=PASSIVE: its OpenMP threads sleep instead of spinning "
                             "between parallel regions, which matters when other work shares the cores")
    parser.add_argument("--wait", type=float, default=15, help="seconds to wait before running a disturbed pair again")
    parser.add_argument("--from-json", help="print the table of a file written by --json, without measuring")
    arguments = parser.parse_args()
    if arguments.from_json:
        with open(arguments.from_json) as file:
            print_report(json.load(file))
        return

    if not os.access(arguments.zoo_bench, os.X_OK):
        raise SystemExit(f"{arguments.zoo_bench} is missing: build it first (swift build -c release)")
    check = subprocess.run([arguments.python, "-c", "import torch; print(torch.__version__)"], capture_output=True, text=True)
    if check.returncode != 0:
        raise SystemExit(f"{arguments.python} cannot import torch; make a virtualenv with it, e.g.\n"
                         "  python3 -m venv /tmp/torchenv && /tmp/torchenv/bin/pip install torch numpy\n"
                         "and pass --python /tmp/torchenv/bin/python")
    torch_version = check.stdout.strip()

    names = arguments.only or list(WORKLOADS)
    environment = dict(os.environ, ZOO_NUM_THREADS=str(arguments.threads))
    torch_environment = dict(environment, OMP_WAIT_POLICY="PASSIVE") if arguments.omp_passive else environment
    script = os.path.join(HERE, "pytorch_workloads.py")
    runs = {name: {"zoo": [], "pytorch": []} for name in names}
    loads = []  # the 1-minute load average before each run: other work on the machine shows here
    for round_index in range(arguments.rounds):
        for name in names:
            warmup, steps = WORKLOADS[name]
            counts = ["--warmup", str(warmup), "--steps", str(steps)]
            commands = {
                "zoo": [arguments.zoo_bench, "--worker", name] + counts,
                "pytorch": [arguments.python, script, name, "--threads", str(arguments.threads)] + counts,
            }
            order = ["zoo", "pytorch"] if round_index % 2 == 0 else ["pytorch", "zoo"]
            # A pair during which other work took more than --max-foreign cores is run again; the
            # least disturbed attempt is kept.
            attempts = []
            for attempt in range(arguments.retries + 1):
                pair = {}
                for side in order:
                    loads.append(os.getloadavg()[0])
                    pair[side] = run_json(commands[side], torch_environment if side == "pytorch" else environment)
                    result = pair[side]
                    print(f"round {round_index + 1}/{arguments.rounds}  {name:<19} {side:<8} "
                          f"{result['samples_per_second']:9.1f} samples/s  {mib(result['peak_rss_bytes']):>8}  "
                          f"other work {result.get('foreign_cores', 0):.2f} cores", file=sys.stderr, flush=True)
                attempts.append((max(r.get("foreign_cores", 0) for r in pair.values()), attempt, pair))
                if attempts[-1][0] <= arguments.max_foreign or attempt == arguments.retries:
                    break
                print(f"  other work on the machine: running the pair again in {arguments.wait:.0f} s",
                      file=sys.stderr, flush=True)
                time.sleep(arguments.wait)
            _, _, pair = min(attempts, key=lambda entry: entry[:2])
            for side in order:
                runs[name][side].append(pair[side])

    report = {"machine": machine(arguments.zoo_bench), "cores": os.cpu_count(), "threads": arguments.threads, "rounds": arguments.rounds,
              "loads": loads, "torch_version": torch_version, "omp_passive": arguments.omp_passive,
              "max_foreign": arguments.max_foreign, "runs": runs}
    if arguments.json:
        with open(arguments.json, "w") as file:
            json.dump(report, file, indent=2, sort_keys=True)
    print_report(report)


def quiet_pairs(report, name):
    """The (Zoo, PyTorch) runs of a workload beside which other work stayed within max_foreign
    cores; all of them when none did."""
    pairs = list(zip(report["runs"][name]["zoo"], report["runs"][name]["pytorch"]))
    limit = report.get("max_foreign", 0.25)
    quiet = [pair for pair in pairs if max(r.get("foreign_cores", 0) for r in pair) <= limit]
    return (quiet or pairs), len(quiet), len(pairs)


def print_report(report):
    """The table (Markdown) and the BatchFormer inference comparison, from the quiet pairs."""
    runs = report["runs"]
    names = [name for name in WORKLOADS if name in runs]
    everything = [r for name in names for side in ("zoo", "pytorch") for r in runs[name][side]]
    builds = sorted({r["build"] for name in names for r in runs[name]["zoo"]})
    threads = sorted({r["threads"] for r in everything})
    print(f"\nmachine: {describe_machine(report['machine'])}, {report.get('cores', '?')} cores; threads: {', '.join(map(str, threads))}; "
          f"Zoo build: {', '.join(builds)}; PyTorch {report['torch_version']}"
          f"{' with OMP_WAIT_POLICY=PASSIVE' if report.get('omp_passive') else ''}; "
          f"{report['rounds']} alternating rounds, each run in its own process; medians over the pairs beside which "
          f"other work took at most {report.get('max_foreign', 0.25)} cores (all pairs when none did); "
          f"load average {min(report['loads']):.1f}–{max(report['loads']):.1f}\n")
    print("| workload | Zoo samples/s | PyTorch samples/s | Zoo / PyTorch (min–max) | Zoo peak RSS | PyTorch peak RSS | quiet pairs |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in names:
        pairs, quiet, total = quiet_pairs(report, name)
        zoo = [z["samples_per_second"] for z, _ in pairs]
        torch = [t["samples_per_second"] for _, t in pairs]
        ratios = [z / t for z, t in zip(zoo, torch)]
        zoo_rss = statistics.median(z["peak_rss_bytes"] for z, _ in pairs)
        torch_rss = statistics.median(t["peak_rss_bytes"] for _, t in pairs)
        print(f"| `{name}` | {statistics.median(zoo):,.0f} | {statistics.median(torch):,.0f} | "
              f"{statistics.median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f}) | {mib(zoo_rss)} | {mib(torch_rss)} | "
              f"{quiet} of {total} |")

    if "w2.infer" in runs and "w2.infer.bf-loaded" in runs:
        print("\nW2 inference, BatchFormer in the manifest (training only, skipped in evaluation) against absent:")
        for index, side in enumerate(("zoo", "pytorch")):
            absent = [pair[index]["samples_per_second"] for pair in quiet_pairs(report, "w2.infer")[0]]
            loaded = [pair[index]["samples_per_second"] for pair in quiet_pairs(report, "w2.infer.bf-loaded")[0]]
            difference = (statistics.median(loaded) / statistics.median(absent) - 1) * 100
            noise = max(spread(absent), spread(loaded))
            verdict = "less than" if abs(difference) < noise else "NOT less than"
            print(f"  {side:<8} absent {statistics.median(absent):,.0f} samples/s (spread {spread(absent):.1f}%), "
                  f"loaded {statistics.median(loaded):,.0f} (spread {spread(loaded):.1f}%): "
                  f"difference {difference:+.1f}%, {verdict} the run-to-run spread")

if __name__ == "__main__":
    main()
