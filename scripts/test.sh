#!/usr/bin/env bash
# `npm test`: every test suite, with the services they need. As root it installs missing
# packages with apt and starts what is stopped; a missing service fails the run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-services.sh
# Two workers: most suites wait on processes, servers and timers rather than on the CPU, and
# every test uses its own ports, directories, databases and processes, so two run side by side.
npx jest --ci --maxWorkers=2 "$@"
