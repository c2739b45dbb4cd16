#!/usr/bin/env bash
# The full test suite: what the README's second command runs, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo test --locked --release
