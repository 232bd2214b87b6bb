#!/usr/bin/env bash
# Reproduces the bundled model bundled:finqa-tiny (src/main/resources/dro4j/models/finqa-tiny) from
# scratch with dro4j's own commands: synthetic data, tokenizer, random init, SFT, held-out pass@1.
# Everything is seeded; on the same JVM + PyTorch build the weights come out bit-identical
# (DRO4J_THREADS=1 keeps PyTorch's reductions in one order).
#
#   scripts/make-finqa-tiny.sh [WORK_DIR]        # default WORK_DIR: trainer_output/finqa-tiny
#   INSTALL=1 scripts/make-finqa-tiny.sh          # also copy the result into src/main/resources
#
# About 20-40 minutes on one core of a shared 2-core x86 machine (see MODEL_CARD.md for the numbers).
set -euo pipefail
cd "$(dirname "$0")/.."
W="${1:-trainer_output/finqa-tiny}"
HERE=scripts/finqa-tiny
export DRO4J_THREADS="${DRO4J_THREADS:-1}"
[ -f target/dro4j.jar ] || mvn -B -q package -DskipTests
D=(java -jar target/dro4j.jar)
mkdir -p "$W"

# 1. Data: 15000 training examples (seed 1) and 200 held-out ones (seed 1001): 1-2 program steps, tables
#    of 2-3 rows and 2 years.
"${D[@]}" synthetic-finqa --seed 1 --count 15000 --rows 2-3 --years 2 --out "$W/train.jsonl"
"${D[@]}" synthetic-finqa --seed 1001 --count 200 --rows 2-3 --years 2 --out "$W/heldout.jsonl"

# 2. Tokenizer: byte-fallback BPE learned from the training prompts and completions (digits never merge).
"${D[@]}" train-tokenizer --data "$W/train.jsonl" --vocab-size 1024 --out "$W/tokenizer"

# 3. Random init of the Llama in scripts/finqa-tiny/config.json (dim 128, 4 layers, 4 heads, tied head).
rm -rf "$W/init"
"${D[@]}" init --config "$HERE/config.json" --tokenizer "$W/tokenizer" --seed 1 --out "$W/init"

# 4. SFT from scratch (settings in scripts/finqa-tiny/sft.yaml).
rm -rf "$W/sft"
"${D[@]}" sft --config "$HERE/sft.yaml" --model="$W/init" --dataset="$W/train.jsonl" --output_dir="$W/sft" \
  --eval-dataset "$W/heldout.jsonl" | tee "$W/sft.log"

# 5. Held-out pass@1: greedy, the program after </think> executed, DRO's 2% metric (the same 200
#    held-out questions in FinQA's own format, evaluated by `dro4j eval` as the default job does).
FINAL="$(ls -d "$W"/sft/checkpoint-* | sort -t- -k2 -n | tail -1)"
"${D[@]}" synthetic-finqa --seed 1001 --count 200 --rows 2-3 --years 2 --format finqa --out "$W/heldout-finqa.json"
"${D[@]}" eval --model "$FINAL" --task finqa_program --data "$W/heldout-finqa.json" --max-new-tokens 200 \
  --out "$W/heldout-eval" --overwrite | tee "$W/pass_at_1.txt"

# 6. The model folder: weights, config and tokenizer of the final checkpoint plus the licence and card.
OUT="$W/finqa-tiny"
rm -rf "$OUT" && mkdir -p "$OUT"
for f in config.json model.safetensors generation_config.json tokenizer.json tokenizer_config.json; do
  cp "$FINAL/$f" "$OUT/"
done
cp "$HERE/LICENSE" "$HERE/MODEL_CARD.md" "$OUT/"
if [ "${INSTALL:-0}" = 1 ]; then
  cp "$OUT"/* src/main/resources/dro4j/models/finqa-tiny/
fi
echo "model folder: $OUT"
