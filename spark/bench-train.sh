#!/usr/bin/env bash
# Benchmark (not a test): a small LoRA GRPO job (R3 on bundled:finqa-tiny) trained by dro4j train in one
# JVM and by dro4j-spark train with rollout_workers: spark at local[2], same job and seed, one PyTorch
# thread per task (DRO4J_THREADS=1) so both give the same checkpoint. Prints, per run, the process's
# wall time, the mean time/step and time/rollouts of the steps after the first (which pays for Spark's
# and the executor's model load) with the sampling and scoring time summed over the groups (on the
# executors: task time, so rollouts minus it is Spark's overhead when one task runs at a time), what
# the Spark run ships per step, and whether the two final
# adapter_model.safetensors are byte-identical. Needs target/dro4j.jar and spark/target/dro4j-spark.jar
# (spark/build.sh). Settings: STEPS (4), PROMPTS per step (4), G rollouts per prompt (8), TOKENS (64),
# MASTERS (the Spark masters to run, "local[2]"; e.g. "local[1] local[2]").
set -euo pipefail
cd "$(dirname "$0")/.."
STEPS=${STEPS:-4}
PROMPTS=${PROMPTS:-4}
G=${G:-8}
TOKENS=${TOKENS:-64}
MASTERS=${MASTERS:-local[2]}
export DRO4J_THREADS=1 GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-20000}
work=$(mktemp -d)
train_args=(train --model bundled:finqa-tiny --task finqa_program --dataset bundled:finqa-synthetic-train
  --use_peft true --lora_r 16 --per_step_prompts "$PROMPTS" --num_generations "$G" --max_completion_length "$TOKENS"
  --max_steps "$STEPS" --save_steps "$STEPS" --learning_rate 1e-4 --seed 1)

run() { # name, jar, extra options...
  local name=$1 jar=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  java -jar "$jar" "${train_args[@]}" "$@" --output_dir "$work/$name" >"$work/$name.out" 2>"$work/$name.err"
  t1=$(date +%s.%N)
  python3 - "$name" "$t0" "$t1" "$work" "$STEPS" <<'PY'
import json, re, sys, filecmp
name, t0, t1, work, steps = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = [json.loads(l) for l in open(f"{work}/{name}/metrics.jsonl")]
later = rows[1:] or rows
step = sum(r["time/step"] for r in later) / len(later)
roll = sum(r["time/rollouts"] for r in later) / len(later)
work_s = sum(r["time/generation"] + r["time/reward"] for r in later) / len(later)
err = open(f"{work}/{name}.err").read()
m = re.search(r"ships the LoRA adapter \(([0-9,]+) bytes serialized, (\d+) tensors\) and the step's groups and settings \(([0-9,]+) bytes\)", err)
shipped = f"adapter {m.group(1)} B + groups {m.group(3)} B per step" if m else "nothing shipped"
ckpt = f"checkpoint-{steps}/adapter_model.safetensors"
same = filecmp.cmp(f"{work}/core/{ckpt}", f"{work}/{name}/{ckpt}", shallow=False)
print(f"{name:9s} wall {t1 - t0:7.2f} s   step {step:6.2f} s   rollouts {roll:6.2f} s (sampling + scoring {work_s:6.2f} s"
      f" summed over groups)   {shipped}   "
      f"adapter identical to core: {same}")
PY
}

echo "GRPO+LoRA (r 16) on bundled:finqa-tiny, R3: $STEPS steps x $PROMPTS prompts x $G rollouts x <= $TOKENS tokens, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run core target/dro4j.jar
for master in $MASTERS; do
  run "$master" spark/target/dro4j-spark.jar --rollout_workers spark --master "$master"
done
rm -rf "$work"
