#!/usr/bin/env bash
# Fuzzes the engine with cargo-fuzz (libFuzzer, nightly) for a bounded time per target.
#   ./scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET ...]      (default 60 s, every target)
# Crashes are copied to testdata/fuzz/<target>/ so that `cargo test` replays them from then on
# (filter/tests/fuzz_regressions.rs). The working corpus stays in target/fuzz-corpus/.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { printf '==> %s\n' "$*"; }

seconds=${1:-60}
shift || true
if [ "$#" -gt 0 ]; then targets=("$@"); else
  mapfile -t targets < <(sed -n 's/^name = "\(.*\)"/\1/p' fuzz/Cargo.toml | grep -v '^llm-warden-fuzz$')
fi
rustup toolchain list | grep -q '^nightly' || { echo "needs the nightly toolchain (rustup toolchain install nightly)" >&2; exit 1; }
command -v cargo-fuzz >/dev/null || { say "cargo install cargo-fuzz --locked"; cargo install cargo-fuzz --locked; }

summary=()
status=0
for t in "${targets[@]}"; do
  say "fuzz $t for ${seconds}s"
  mkdir -p "target/fuzz-corpus/$t" "testdata/fuzz/$t"
  log="target/fuzz-corpus/$t.log"
  # Only what this run finds counts: artifacts of earlier runs are already in testdata/fuzz/.
  marker="target/fuzz-corpus/$t.started"
  touch "$marker"
  set +e
  cargo +nightly fuzz run --fuzz-dir fuzz "$t" "target/fuzz-corpus/$t" "testdata/fuzz/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -max_len=65536 >"$log" 2>&1
  rc=$?
  set -e
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
  crashes=0
  for a in fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/oom-* fuzz/artifacts/"$t"/timeout-*; do
    [ -e "$a" ] && [ "$a" -nt "$marker" ] || continue
    cp "$a" "testdata/fuzz/$t/"
    crashes=$((crashes + 1))
  done
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    echo "!! cargo fuzz failed for $t; see $log" >&2
    tail -20 "$log" >&2
    status=1
  fi
  [ "$crashes" -gt 0 ] && status=1
  summary+=("$(printf '%-10s %12s execs %8s/s  %s finding(s)' "$t" "${execs:-?}" "${rate:-?}" "$crashes")")
done
printf '\n%s\n' "${summary[@]}"
[ "$status" -eq 0 ] && say "no findings" || say "findings saved under testdata/fuzz/<target>/ (replayed by cargo test)"
exit "$status"
