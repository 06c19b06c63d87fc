#!/usr/bin/env bash
# Detection quality, measured only through `llm-warden scan` and the scorers in ../shared/eval/:
# prompt injection on the dev and test splits, then secrets/PII on dev and regenerated seeds
# with the peer tools side by side. Tuning happens on dev; test is for reporting.
#   ./scripts/eval.sh [injection|pii]     (default: both)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
which=${1:-all}
case "$which" in
  injection) ./scripts/eval-injection.sh ;;
  pii) ./scripts/eval-pii.sh ;;
  all) ./scripts/eval-injection.sh && ./scripts/eval-pii.sh ;;
  *) echo "usage: $0 [injection|pii]" >&2; exit 2 ;;
esac
