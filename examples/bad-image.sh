#!/usr/bin/env bash
# A bad image stopped by a readiness gate at its first server and rolled back, on the embedded simulator:
#   bash examples/bad-image.sh
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f examples/.reform/bad-image-sim.json examples/.reform/bad-image-journal.jsonl
reform() { node bin/reform.js "$@"; }

echo "\$ reform apply -c examples/bad-image.yaml --auto-approve"
status=0
reform apply -c examples/bad-image.yaml --auto-approve || status=$?
echo "(exit $status)"
echo
echo "\$ reform plan -c examples/bad-image.yaml"
reform plan -c examples/bad-image.yaml
