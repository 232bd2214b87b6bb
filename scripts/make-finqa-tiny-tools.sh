#!/usr/bin/env bash
# Reproduces bundled:finqa-tiny-tools (src/main/resources/dro4j/models/finqa-tiny-tools): bundled:finqa-tiny
# warm-started for environment finqa_calculator by SFT on synthetic tool-use conversations, the loss on
# the assistant's tokens only (sft assistant_only_loss). Seeded; DRO4J_THREADS=1 keeps PyTorch's
# reductions in one order, so the same JVM + PyTorch build gives the same weights.
#
#   scripts/make-finqa-tiny-tools.sh [WORK_DIR]     # default WORK_DIR: trainer_output/finqa-tiny-tools
#   INSTALL=1 scripts/make-finqa-tiny-tools.sh       # also copy the result into src/main/resources
#   MALFORMED_SHARE=0.5 scripts/make-finqa-tiny-tools.sh DIR   # stage 3 with slips (see below)
#   REUSE=1 ...                                      # keep stages 1 and 2 already in WORK_DIR
#
# Stage 1: 400 updates of 8 conversations (the calls); stage 2: 480 updates with finqa-tiny's reasoning
# before the first call; stage 3: 120 updates on a mix where half the conversations answer without the
# calculator, so that the warm start calls it on some questions only. About 35 minutes on one thread of
# a loaded 2-core machine.
#
# MALFORMED_SHARE (default 0) is stage 3's synthetic-finqa --malformed-call-share: that share of its
# conversations with calls writes one call malformed first, gets the environment's error and writes it
# again (docs/results.md, "A warm start with slips"). REUSE=1 skips stages 1 and 2 when their
# checkpoints are in WORK_DIR, so that stage 3 can be varied from the same stage 2.
set -euo pipefail
cd "$(dirname "$0")/.."
W="${1:-trainer_output/finqa-tiny-tools}"
HERE=scripts/finqa-tiny-tools
export DRO4J_THREADS="${DRO4J_THREADS:-1}" GOMP_SPINCOUNT="${GOMP_SPINCOUNT:-20000}"
[ -f target/dro4j.jar ] || mvn -B -q package -DskipTests
D=(java -jar target/dro4j.jar)
mkdir -p "$W"
# with REUSE=1: whether stage directory $1 already holds a checkpoint, so that the stage is skipped
reused() { [ "${REUSE:-0}" = 1 ] && ls -d "$1"/checkpoint-* > /dev/null 2>&1; }

# 1. Conversations: the calculator environment's question, one call per gold program step, the tool's
#    result, the answer. Training seed 2, held-out seed 1002 (finqa-tiny's own data used seeds 1 and 1001).
"${D[@]}" synthetic-finqa --seed 2 --count 2400 --rows 2-3 --years 2 --format finqa-tools --out "$W/sft-train.jsonl"
"${D[@]}" synthetic-finqa --seed 1002 --count 64 --rows 2-3 --years 2 --format finqa-tools --out "$W/sft-heldout.jsonl"

# 2. SFT from bundled:finqa-tiny (settings in scripts/finqa-tiny-tools/sft.yaml); prints the held-out NLL
#    per assistant token before and after.
if ! reused "$W/sft"; then
  rm -rf "$W/sft"
  "${D[@]}" sft --config "$HERE/sft.yaml" --model=bundled:finqa-tiny --dataset="$W/sft-train.jsonl" --output_dir="$W/sft" \
    --eval-dataset "$W/sft-heldout.jsonl" | tee "$W/sft.log"
fi

# 3. Stage 2: from stage 1's model, conversations whose first turn starts with finqa-tiny's own reasoning
#    (<think> the cells the program reads and its steps </think>) before the call; seeds 4 and 1004.
STAGE1="$(ls -d "$W"/sft/checkpoint-* | sort -t- -k2 -n | tail -1)"
"${D[@]}" synthetic-finqa --seed 4 --count 4000 --rows 2-3 --years 2 --format finqa-tools --reasoning --out "$W/sft2-train.jsonl"
"${D[@]}" synthetic-finqa --seed 1004 --count 64 --rows 2-3 --years 2 --format finqa-tools --reasoning --out "$W/sft2-heldout.jsonl"
if ! reused "$W/sft2"; then
  rm -rf "$W/sft2"
  "${D[@]}" sft --config "$HERE/sft-reasoning.yaml" --model="$STAGE1" --dataset="$W/sft2-train.jsonl" --output_dir="$W/sft2" \
    --eval-dataset "$W/sft2-heldout.jsonl" | tee "$W/sft2.log"
fi

# 4. Stage 3: from stage 2's model, the reasoning-then-call conversations mixed with ones that answer
#    without the calculator (the reasoning, then the final number), half and half; seeds 5 and 1005.
STAGE2="$(ls -d "$W"/sft2/checkpoint-* | sort -t- -k2 -n | tail -1)"
SLIPS=(--malformed-call-share "${MALFORMED_SHARE:-0}")
"${D[@]}" synthetic-finqa --seed 5 --count 2000 --rows 2-3 --years 2 --format finqa-tools --reasoning --direct-share 0.5 "${SLIPS[@]}" --out "$W/sft3-train.jsonl"
"${D[@]}" synthetic-finqa --seed 1005 --count 64 --rows 2-3 --years 2 --format finqa-tools --reasoning --direct-share 0.5 "${SLIPS[@]}" --out "$W/sft3-heldout.jsonl"
rm -rf "$W/sft3"
"${D[@]}" sft --config "$HERE/sft-mixed.yaml" --model="$STAGE2" --dataset="$W/sft3-train.jsonl" --output_dir="$W/sft3" \
  --eval-dataset "$W/sft3-heldout.jsonl" | tee "$W/sft3.log"

# 5. The model folder: weights, config and tokenizer of the final checkpoint plus the licence and card.
FINAL="$(ls -d "$W"/sft3/checkpoint-* | sort -t- -k2 -n | tail -1)"
OUT="$W/finqa-tiny-tools"
rm -rf "$OUT" && mkdir -p "$OUT"
for f in config.json model.safetensors generation_config.json tokenizer.json tokenizer_config.json; do
  cp "$FINAL/$f" "$OUT/"
done
cp scripts/finqa-tiny/LICENSE "$HERE/MODEL_CARD.md" "$OUT/"
if [ "${INSTALL:-0}" = 1 ]; then
  mkdir -p src/main/resources/dro4j/models/finqa-tiny-tools
  cp "$OUT"/* src/main/resources/dro4j/models/finqa-tiny-tools/
fi
echo "model folder: $OUT"
