#!/usr/bin/env bash
# Acceptance experiment of issue 11: GRPO in environment finqa_calculator from the tool-use warm start
# (bundled:finqa-tiny-tools), seeds 1, 2 and 3 one after another, each evaluated on the 64 held-out
# records before and after training (8 sampled trajectories each, as the job says): tool-call success
# rate, trajectories with a successful call and final-answer accuracy.
# Prints one line per seed and the mean rise against the spread between seeds; docs/results.md
# ("Agents: calculator environment") has a measured run.
#
#   scripts/agents-calculator-experiment.sh [WORK_DIR] [extra train flags...]
#     default WORK_DIR trainer_output/agents-calculator-experiment; e.g. --max_steps 40
#   PARALLEL=1 scripts/agents-calculator-experiment.sh   # the three seeds at once, one thread each
set -euo pipefail
cd "$(dirname "$0")/.."
W="${1:-trainer_output/agents-calculator-experiment}"
shift || true
export GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-20000}"
[ -f target/dro4j.jar ] || mvn -B -q package -DskipTests
mkdir -p "$W"
run_seed() {
  java -jar target/dro4j.jar train --config examples/agents/finqa_calculator.yaml --seed "$1" \
    --output_dir "$W/seed-$1" --log_completions false "${@:2}" > "$W/seed-$1.log" 2>&1
  tail -n 3 "$W/seed-$1.log"
}
if [ "${PARALLEL:-0}" = 1 ]; then
  # one process per seed, one PyTorch thread each (the same results as one after another at 1 thread)
  export DRO4J_THREADS=1
  for seed in 1 2 3; do run_seed "$seed" "$@" & done
  wait
else
  for seed in 1 2 3; do run_seed "$seed" "$@"; done
fi
python3 - "$W" <<'PY'
import json, statistics, sys
w = sys.argv[1]
keys = ["tool_call_success_rate", "with_successful_tool_call", "final_answer_accuracy", "tool_calls", "turns"]
rise = {k: [] for k in keys}
print("seed | " + " | ".join(f"{k} before -> after" for k in keys))
for seed in (1, 2, 3):
    s = json.load(open(f"{w}/seed-{seed}/summary.json"))
    b, a = s["eval_before"], s["eval_after"]
    print(f"{seed} | " + " | ".join(f"{b[k]:.3f} -> {a[k]:.3f}" for k in keys) + f" | {s['seconds']:.0f} s")
    for k in keys:
        rise[k].append(a[k] - b[k])
# per tool (calls that ran, calls per trajectory): the overall rate mixes tools that always run with ones that fail
for seed in (1, 2, 3):
    s = json.load(open(f"{w}/seed-{seed}/summary.json"))
    b, a = s["eval_before"], s["eval_after"]
    tools = sorted({k.split("/", 1)[1] for k in list(b) + list(a) if k.startswith("tool_call_success_rate/")})
    print(f"seed {seed} per tool: " + "; ".join(
        f"{t} {b.get('tool_call_success_rate/' + t, float('nan')):.3f} -> {a.get('tool_call_success_rate/' + t, float('nan')):.3f}"
        f" ({b.get('tool_calls/' + t, 0):.3f} -> {a.get('tool_calls/' + t, 0):.3f} a trajectory)" for t in tools))
for k in keys:
    r = rise[k]
    spread = max(r) - min(r)
    print(f"{k}: mean rise {statistics.mean(r):+.3f}, rises {', '.join(f'{x:+.3f}' for x in r)}, spread (max-min) {spread:.3f},"
          f" rise > spread: {statistics.mean(r) > spread}")
PY
