#!/usr/bin/env bash
# Coverage-guided fuzzing of the plan loader (YAML -> validation -> schedule expansion) with
# libFuzzer and AddressSanitizer, through the `plancal-fuzz` target that Package.swift declares
# only when PLANCAL_FUZZ=1 (its source is in Fuzz/). Bounded in time:
#   bash scripts/fuzz.sh [seconds]        (default 60)
# Builds into .build-fuzz/ (release, -sanitize=fuzzer,address; Yams's libyaml is instrumented
# too, libical is the system's). The corpus grows in .build-fuzz/corpus from the seeds: the
# shipped plan, the test fixtures (broken ones included) and Fuzz/seeds (rules for the harness's
# second reading of each input). Exits non-zero when libFuzzer finds a crash, a hang (over 10 s
# for one input) or a blow-up (over 2 GiB); the input is saved under .build-fuzz/artifacts/ —
# replay it with `.build-fuzz/release/plancal-fuzz FILE`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

seconds="${1:-60}"
case "$seconds" in ''|*[!0-9]*) echo "fuzz.sh: seconds must be a whole number, got '$seconds'" >&2; exit 2 ;; esac
# plan: the plan loader (YAML -> validation -> schedule); api: the API's JSON bodies through
# PlanAPI and the real CompletionService of the shipped plan; dav: CalDAV's request bodies and a
# task app's PUT read against a task of the shipped plan (libical's parser behind it).
which="${2:-plan}"
case "$which" in
  plan) product=plancal-fuzz; dict=(-dict=Fuzz/plan.dict); maxlen=65536 ;;
  api) product=plancal-fuzz-api; dict=(); maxlen=4096 ;;
  dav) product=plancal-fuzz-dav; dict=(-dict=Fuzz/dav.dict); maxlen=16384 ;;
  *) echo "fuzz.sh: the target is plan, api or dav, got '$which'" >&2; exit 2 ;;
esac

scratch=.build-fuzz
flags=(-c release --scratch-path "$scratch" -Xswiftc -sanitize=fuzzer,address
       -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -use-ld=lld)
echo "== building $product"
mkdir -p "$scratch"
if ! PLANCAL_FUZZ=1 swift build "${flags[@]}" --product "$product" >"$scratch/build.log" 2>&1; then
  grep -vE "unhandled; explicitly declare|CMakeLists.txt$" "$scratch/build.log" | tail -30 >&2
  echo "fuzz.sh: the build failed (log in $scratch/build.log)" >&2
  exit 1
fi
bin="$(PLANCAL_FUZZ=1 swift build "${flags[@]}" --show-bin-path)/$product"

seeds="$scratch/seeds-$which"
corpus="$scratch/corpus-$which"
rm -rf "$seeds"
mkdir -p "$seeds" "$corpus" "$scratch/artifacts"
if [ "$which" = plan ]; then
  cp calendars/bach-dang/plan.yaml "$seeds/shipped-plan.yaml"
  cp Tests/PlanCoreTests/Fixtures/*.yaml "$seeds/"
  for f in Tests/PlanCoreTests/Fixtures/broken/*.yaml; do cp "$f" "$seeds/broken-$(basename "$f")"; done
  cp Fuzz/seeds/* "$seeds/"    # rules for the harness's second reading (see Fuzz/PlanLoaderFuzz)
elif [ "$which" = api ]; then
  cp Fuzz/api-seeds/* "$seeds/"  # bodies the API accepts and refuses
else
  cp Fuzz/dav-seeds/* "$seeds/"  # PROPFIND and REPORT bodies, and the task's own text ticked and changed
fi

echo "== fuzzing $product for ${seconds} s"
log="$scratch/fuzz-$which.log"
set +e
# Leak checking is off: the Swift runtime keeps metadata caches for the life of the process,
# which LeakSanitizer would report; a real per-input leak still shows as RSS over the limit.
ASAN_OPTIONS=detect_leaks=0 "$bin" "$corpus" "$seeds" \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$maxlen" \
  "${dict[@]}" -artifact_prefix="$scratch/artifacts/" -print_final_stats=1 >"$log" 2>&1
status=$?
set -e

# The summary: runs, speed, coverage (libFuzzer's last status line), crashes.
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<<"$last")
echo "fuzz ($which): ${execs:-?} inputs in ${seconds} s (${speed:-?}/s), coverage ${cov:-?} edges, ${ft:-?} features, corpus ${corp:-?}, peak RSS ${rss:-?} MB"
if [ "$status" -ne 0 ]; then
  grep -E "ERROR: |SUMMARY: |Fatal error|Test unit written|==[0-9]+==" "$log" | head -20 >&2
  echo "fuzz: FAILED (libFuzzer exit $status); full log in $log" >&2
  exit "$status"
fi
echo "fuzz: no crash, hang or blow-up"
