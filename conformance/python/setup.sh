#!/usr/bin/env bash
# Creates conformance/python/.venv with the pinned requirements.txt.
# Idempotent: when the venv exists and was made from the same requirements, it
# returns at once. PYTHON selects the interpreter (default: python3.11, else python3).
set -euo pipefail
cd "$(dirname "$0")"

want=$(sha256sum requirements.txt | cut -d' ' -f1)
stamp=.venv/requirements.sha256
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
    exit 0
fi

python=${PYTHON:-$(command -v python3.11 || command -v python3)}
rm -rf .venv
"$python" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --no-input -r requirements.txt
echo "$want" >"$stamp"
echo "conformance/python/.venv ready ($(.venv/bin/python --version), $(.venv/bin/python -c 'import cryptography; print("cryptography", cryptography.__version__)'))"
