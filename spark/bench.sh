#!/usr/bin/env bash
# Benchmark (not a test): dro4j-spark eval at local[1] and local[2] against dro4j eval in one JVM, on
# the same synthetic FinQA data, model (bundled:finqa-tiny) and seed, one PyTorch thread per task
# (DRO4J_THREADS=1), so each run's tasks x threads fits the cores. Prints, per run, the process's wall
# time, Spark's start-up, the evaluation itself ("seconds" of summary.json) and whether results.jsonl
# is byte-identical to the in-process run. Needs target/dro4j.jar and spark/target/dro4j-spark.jar
# (spark/build.sh). Settings: N examples (48), SAMPLES per example (4), TOKENS per completion (64).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-48}
SAMPLES=${SAMPLES:-4}
TOKENS=${TOKENS:-64}
export DRO4J_THREADS=1 GOMP_SPINCOUNT=${GOMP_SPINCOUNT:-20000}
work=$(mktemp -d)
java -jar target/dro4j.jar synthetic-finqa --count "$N" --format finqa --seed 7 --out "$work/finqa.json" >/dev/null
eval_args=(eval --task finqa_program --model bundled:finqa-tiny --data "$work/finqa.json" --samples "$SAMPLES"
  --temperature 1.0 --max-new-tokens "$TOKENS" --seed 1)

run() { # name, jar, extra options...
  local name=$1 jar=$2; shift 2
  local t0 t1
  t0=$(date +%s.%N)
  java -jar "$jar" "${eval_args[@]}" "$@" --out "$work/$name" >"$work/$name.out" 2>"$work/$name.err"
  t1=$(date +%s.%N)
  python3 - "$name" "$t0" "$t1" "$work" <<'PY'
import json, re, sys, filecmp
name, t0, t1, work = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
s = json.load(open(f"{work}/{name}/summary.json"))
m = re.search(r"started in ([0-9.]+) s", open(f"{work}/{name}.err").read())
start = f"{float(m.group(1)):6.2f}" if m else "     -"
same = filecmp.cmp(f"{work}/core/results.jsonl", f"{work}/{name}/results.jsonl", shallow=False)
print(f"{name:8s} wall {t1 - t0:7.2f} s   spark start {start} s   eval {s['seconds']:7.2f} s   "
      f"pass@1 {s['pass@1']:.3f}   results identical to core: {same}")
PY
}

echo "eval of $N synthetic FinQA examples x $SAMPLES samples x <= $TOKENS tokens, bundled:finqa-tiny, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run core target/dro4j.jar
run local1 spark/target/dro4j-spark.jar --master 'local[1]'
run local2 spark/target/dro4j-spark.jar --master 'local[2]'
rm -rf "$work"
