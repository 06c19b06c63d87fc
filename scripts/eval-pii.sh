#!/usr/bin/env bash
# Scores the built-in entity detectors on the PII/secret corpus: the dev set and two held-out
# corpora regenerated with other seeds, through `llm-warden scan` and the shared scorer.
# Prints a summary table; with --peers also runs the peer baselines when their deps install.
#
#   scripts/eval-pii.sh [--peers]
#
# Env: SHARED (default: ../shared next to the repo), SEEDS (default "2 3"), N (default 3000).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="${SHARED:-$(cd "$repo/.." && pwd)/shared}"
eval_dir="$shared/eval"
gen="$eval_dir/pii/gen_pii_corpus.py"
scorer="$eval_dir/score_pii.py"
out="$repo/target/eval"
seeds="${SEEDS:-2 3}"
n="${N:-3000}"
peers=0
[[ "${1:-}" == "--peers" ]] && peers=1

say() { printf '==> %s\n' "$*" >&2; }

[[ -f "$scorer" && -f "$gen" ]] || { echo "shared eval files not found under $eval_dir (set SHARED)" >&2; exit 1; }
mkdir -p "$out"

say "building the CLI (release)"
cargo build --release --quiet -p llm-warden-cli --manifest-path "$repo/Cargo.toml"
cli="${CARGO_TARGET_DIR:-$repo/target}/release/llm-warden"

# The corpus generator's Faker goes into its own venv under target/, and so do the peers'
# dependencies: neither may disturb the pinned test environment in .venv.
venv="$out/venv"
if [[ ! -x "$venv/bin/python" ]]; then
    say "creating $venv"
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import faker, sys; sys.exit(faker.VERSION != "40.63.0")' 2>/dev/null; then
    say "installing Faker==40.63.0 into $venv"
    "$venv/bin/pip" install --quiet "Faker==40.63.0"
fi

corpora=("dev:$eval_dir/pii/dev.jsonl")
for seed in $seeds; do
    file="$out/pii-seed$seed-n$n.jsonl"
    if [[ ! -s "$file" ]]; then
        say "generating seed $seed ($n documents) into $file"
        "$venv/bin/python" "$gen" --seed "$seed" --n "$n" --out "$file" >/dev/null
    fi
    corpora+=("seed$seed:$file")
done

summary="$out/pii-summary.txt"
: > "$summary"
for entry in "${corpora[@]}"; do
    name="${entry%%:*}"
    file="${entry#*:}"
    pred="$out/pred-$name.jsonl"
    say "scanning $name ($file)"
    "$cli" scan --input "$file" --output "$pred"
    say "scoring $name"
    python3 "$scorer" "$file" "$pred" --json "$out/score-$name.json" > "$out/score-$name.txt"
    python3 - "$name" "$out/score-$name.json" "$out/score-$name.txt" >> "$summary" <<'PY'
import json, re, sys
name, path, text = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
s = json.load(open(path))
per = s.get("per_type", {})
rows = [(t, v["exact"]["p"], v["exact"]["r"]) for t, v in per.items() if v.get("gold", 0) or v.get("pred", 0)]
f1 = re.search(r"micro_F1_exact=([0-9.]+)", text).group(1)
hn = re.search(r"TOTAL\s+(\d+)\s*/\s*(\d+)", text)
hit, tot = (int(hn.group(1)), int(hn.group(2))) if hn else (0, 0)
worst_r = min(rows, key=lambda r: r[2] if r[2] is not None else 1, default=("-", None, None))
worst_p = min(rows, key=lambda r: r[1] if r[1] is not None else 1, default=("-", None, None))
fmt = lambda x: "-" if x is None else f"{x:.3f}"
print(f"{name:<8} {f1:>8} {worst_r[0]+' '+fmt(worst_r[2]):>28} {worst_p[0]+' '+fmt(worst_p[1]):>28} {hit:>5}/{tot:<5} {100*hit/max(tot,1):6.2f}%")
PY
done

if [[ $peers == 1 ]]; then
    # Each peer's pinned dependencies, from its runner's docstring.
    declare -A deps=(
        [presidio]='presidio-analyzer==2.2.366 spacy-lookups-data==1.0.5'
        [detect_secrets]='detect-secrets==1.5.0'
        [gitleaks_rules]=''
    )
    for peer in presidio detect_secrets gitleaks_rules; do
        runner="$eval_dir/pii/peers/run_$peer.py"
        [[ -f "$runner" ]] || continue
        if [[ -n "${deps[$peer]}" ]]; then
            say "peer $peer: installing ${deps[$peer]} into $venv"
            # shellcheck disable=SC2086
            if ! "$venv/bin/pip" install --quiet ${deps[$peer]} >/dev/null 2>&1; then
                say "peer $peer skipped: could not install ${deps[$peer]}"
                continue
            fi
        fi
        args=("$eval_dir/pii/dev.jsonl" "$out/pred-peer-$peer.jsonl")
        [[ $peer == gitleaks_rules ]] && args=("$eval_dir/pii/peers/gitleaks.toml" "${args[@]}")
        say "peer $peer: scanning dev"
        if "$venv/bin/python" "$runner" "${args[@]}" >/dev/null 2>&1; then
            python3 "$scorer" "$eval_dir/pii/dev.jsonl" "$out/pred-peer-$peer.jsonl" --untyped \
                | tail -1 | sed "s/^/peer $peer (dev, untyped view): /"
        else
            say "peer $peer failed to run; skipped"
        fi
    done
fi

echo
printf '%-8s %8s %28s %28s %12s %7s\n' corpus microF1 "worst recall (type)" "worst precision (type)" "hard-neg hit" rate
cat "$summary"
echo
echo "per-type tables: $out/score-<corpus>.txt"
