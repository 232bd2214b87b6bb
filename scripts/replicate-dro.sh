#!/usr/bin/env bash
# The miniature DRO replication (Xu et al. 2025, arXiv 2506.13351) on the bundled synthetic
# FinQA-style task, from the bundled SFT start (finqa-tiny). Not part of the test suite.
#
# Arms, all with the default job's settings (bundled:demo-train: 4 prompts x 8 rollouts a step,
# dr_grpo, top-p 0.95, lr 1e-4) and the same number of steps and rollouts:
#   r3           R3 reward, R3 filter on (the default job)
#   r3_nofilter  R3 reward, filter off
#   aggr         DRO-Aggr: the plain sum of the reference log-probs (logprob_sum), filter on
#   binary       correctness: 1 when the executed answer is within 2% of the gold value, filter on
#   sft          the SFT start, evaluated only
# Per run: greedy held-out pass@1 every EVAL_STEPS steps during training (64 questions), then
# pass@1..16 of the last checkpoint (16 samples a question, temperature 1, top-p 1). The report
# (docs/results.md's tables) is written by dro4j.bench.ReplicationReport.
#
# A run whose evaluation exists is skipped and one whose last checkpoint exists is only evaluated, so
# the script can be run again after an interruption (or once per seed in parallel: SEEDS=2 ...).
#
# Usage: scripts/replicate-dro.sh [OUT_DIR]     (env: SEEDS, ARMS, STEPS, FILTER_EVERY, EVAL_STEPS,
#        THRESHOLD, DRO4J_THREADS, JAR). Build first: mvn -q -B package -DskipTests
set -euo pipefail
OUT=${1:-trainer_output/replication}
JAR=${JAR:-target/dro4j.jar}
SEEDS=${SEEDS:-"1 2 3"}
ARMS=${ARMS:-"sft r3 r3_nofilter aggr binary"}
STEPS=${STEPS:-40}
FILTER_EVERY=${FILTER_EVERY:-20}
EVAL_STEPS=${EVAL_STEPS:-5}
# Fixed before any replication run: the SFT start's greedy held-out pass@1 is 0.375 (24 of 64);
# the threshold asks for 4 more questions right.
THRESHOLD=${THRESHOLD:-0.4375}
SAMPLES=16
HELDOUT=bundled:finqa-synthetic-heldout
export GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-20000}
mkdir -p "$OUT"
echo "threshold $THRESHOLD steps $STEPS filter_every $FILTER_EVERY eval_steps $EVAL_STEPS seeds $SEEDS" > "$OUT/settings.txt"
{ date -u +%FT%TZ; uname -srm; grep -m1 'model name' /proc/cpuinfo || true; nproc; java -version 2>&1 | head -1
  echo "DRO4J_THREADS=${DRO4J_THREADS:-default}"; } >> "$OUT/settings.txt"

rewards_of() {
  case $1 in
    r3|r3_nofilter) echo '[{name: r3}]' ;;
    aggr) echo '[{name: logprob_sum}]' ;;
    binary) echo '[{name: finqa_match, extract: marker, marker: "</think>"}]' ;;
    *) echo "unknown arm $1" >&2; exit 2 ;;
  esac
}

for seed in $SEEDS; do
  for arm in $ARMS; do
    run="$OUT/$arm-seed$seed"
    [[ -f "$run/eval/summary.json" ]] && { echo "done: $run"; continue; }
    echo "== $arm seed $seed ($(date -u +%T))"
    model=bundled:finqa-tiny
    if [[ $arm != sft && ! -f "$run/checkpoint-$STEPS/trainer_state.json" ]]; then
      filter=true; [[ $arm == r3_nofilter ]] && filter=false
      java -jar "$JAR" train --config bundled:demo-train --seed "$seed" --max_steps "$STEPS" \
        --rewards "$(rewards_of "$arm")" --filter_dataset "$filter" --filter_every_steps "$FILTER_EVERY" \
        --eval_steps "$EVAL_STEPS" --log_completions true --logging_steps 1 --save_steps "$STEPS" \
        --output_dir "$run" --overwrite_output_dir true > "$run.log" 2>&1
    fi
    [[ $arm != sft ]] && model="$run/checkpoint-$STEPS"
    mkdir -p "$run"
    java -jar "$JAR" eval --model "$model" --task finqa_program --data "$HELDOUT" --samples "$SAMPLES" \
      --seed "$seed" --out "$run/eval" --overwrite >> "$run.log" 2>&1
  done
done
java -cp "$JAR" dro4j.bench.ReplicationReport "$OUT" "$THRESHOLD" | tee "$OUT/report.md"
