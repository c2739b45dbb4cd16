#!/usr/bin/env bash
# Validates every vectors/*.json against vectors/schema.json with an independent validator
# (Python jsonschema, draft 2020-12), in a virtual environment of its own.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv-vectors
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c 'import jsonschema' 2>/dev/null; then
    "$venv/bin/pip" install --quiet --disable-pip-version-check 'jsonschema>=4.18,<5'
fi

"$venv/bin/python" - <<'PY'
import glob
import json
import sys

from jsonschema import Draft202012Validator

with open("vectors/schema.json") as f:
    schema = json.load(f)
Draft202012Validator.check_schema(schema)
whole = Draft202012Validator(schema)
# The root is oneOf the two file kinds; validating against the kind the file names gives
# precise error locations instead of one failed oneOf.
kinds = {"paycode-vectors-v1": "vectorFile", "paycode-traceability-v1": "traceFile"}


def validator_for(doc):
    kind = kinds.get(doc.get("format")) if isinstance(doc, dict) else None
    if kind is None:
        return whole
    sub = {k: v for k, v in schema.items() if k != "oneOf"}
    sub["$ref"] = f"#/$defs/{kind}"
    return Draft202012Validator(sub)


paths = sorted(p for p in glob.glob("vectors/*.json") if not p.endswith("/schema.json"))
if not paths:
    sys.exit("no vector files found")
failed = 0
cases = 0
for path in paths:
    with open(path) as f:
        doc = json.load(f)
    errors = sorted(validator_for(doc).iter_errors(doc), key=lambda e: [str(p) for p in e.absolute_path])
    if not errors and not whole.is_valid(doc):
        errors = list(whole.iter_errors(doc))
    for e in errors[:5]:
        where = "/".join(str(p) for p in e.absolute_path)
        print(f"{path}: {where}: {e.message[:300]}")
    failed += bool(errors)
    cases += len(doc.get("cases", []))
print(f"schema: {len(paths) - failed} of {len(paths)} files valid ({cases} cases)")
sys.exit(1 if failed else 0)
PY
