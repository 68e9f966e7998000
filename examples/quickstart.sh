#!/usr/bin/env bash
# The quickstart: plan, apply and plan again against the embedded simulator. Run with `npm run demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f examples/.reform/quickstart-sim.json examples/.reform/journal.jsonl
reform() { node bin/reform.js "$@"; }

echo "\$ reform plan -c examples/quickstart.yaml"
reform plan -c examples/quickstart.yaml
echo
echo "\$ reform apply -c examples/quickstart.yaml --auto-approve"
reform apply -c examples/quickstart.yaml --auto-approve
echo
echo "\$ reform plan -c examples/quickstart.yaml --detailed-exitcode"
reform plan -c examples/quickstart.yaml --detailed-exitcode
