#!/usr/bin/env bash
# A light tool-use warm start for environment finqa_calculator: bundled:finqa-tiny after a few hundred
# SFT updates on the conversations of the bundled warm start's stage 3 (the reasoning, then calculator
# calls, or half of the time the answer without them: synthetic-finqa --format finqa-tools --reasoning
# --direct-share 0.5, seed 5). It has learnt the call format only partly, so at temperature 1.0 many of
# its calls do not parse: the start of issue 11's per-call measurement (docs/results.md, "A light warm
# start"). The bundled warm start (scripts/make-finqa-tiny-tools.sh, 1,000 updates) calls almost always
# well-formed calls. About 2 minutes a stage on 2 threads.
#
#   scripts/make-finqa-tiny-tools-light.sh [WORK_DIR] [STAGES]
#     default WORK_DIR trainer_output/finqa-tiny-tools-light, STAGES 2 (2 x 120 updates)
#
# Stage k is one SFT run of 120 updates (scripts/finqa-tiny-tools/sft-light.yaml: lr 1e-3 constant,
# batch 8) from stage k-1's checkpoint (stage 1 from bundled:finqa-tiny) with data-order seed k.
# The model folder is printed at the end: WORK_DIR/stage-STAGES/checkpoint-120.
set -euo pipefail
cd "$(dirname "$0")/.."
W="${1:-trainer_output/finqa-tiny-tools-light}"
STAGES="${2:-2}"
HERE=scripts/finqa-tiny-tools
export DRO4J_THREADS="${DRO4J_THREADS:-2}" GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-20000}"
[ -f target/dro4j.jar ] || mvn -B -q package -DskipTests
D=(java -jar target/dro4j.jar)
mkdir -p "$W"
"${D[@]}" synthetic-finqa --seed 5 --count 2000 --rows 2-3 --years 2 --format finqa-tools --reasoning --direct-share 0.5 --out "$W/train.jsonl"
"${D[@]}" synthetic-finqa --seed 1005 --count 64 --rows 2-3 --years 2 --format finqa-tools --reasoning --direct-share 0.5 --out "$W/heldout.jsonl"
MODEL=bundled:finqa-tiny
for k in $(seq 1 "$STAGES"); do
  rm -rf "$W/stage-$k"
  "${D[@]}" sft --config "$HERE/sft-light.yaml" --model="$MODEL" --dataset="$W/train.jsonl" --output_dir="$W/stage-$k" \
    --seed "$k" --eval-dataset "$W/heldout.jsonl" | tee "$W/stage-$k.log"
  MODEL="$W/stage-$k/checkpoint-120"
done
echo "model folder: $MODEL"
