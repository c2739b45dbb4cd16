#!/usr/bin/env python3
"""paycode-adapter/1 over stdio for paycode_py (conformance/README.md).

Reads one JSON request per line on stdin and writes one JSON response per
line on stdout, flushed. Nothing else is ever written to stdout; diagnostics
go to stderr.

    python3 conformance/python/adapter.py [--mutant NAME] [--list-mutants]

Run with a Python that lacks `cryptography`, it re-executes itself with the
interpreter of conformance/python/.venv (made by setup.sh) when there is one.
"""

import argparse
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
CONTRACT = "paycode-adapter/1"
SPEC = "paycode v3"
# The conformance classes this implementation claims (conformance/README.md, section 4): all.
CLASSES = [
    "primitives",
    "hmac-verifier",
    "numeric-verifier",
    "ed25519-terminal",
    "hmac-wallet",
    "ed25519-wallet",
    "issuer",
    "reconciler",
]


def _ensure_cryptography():
    try:
        import cryptography  # noqa: F401
    except ImportError:
        venv_python = os.path.join(HERE, ".venv", "bin", "python")
        if os.path.exists(venv_python) and os.path.realpath(sys.executable) != os.path.realpath(venv_python):
            os.execv(venv_python, [venv_python, os.path.abspath(__file__), *sys.argv[1:]])
        sys.stderr.write("paycode-py: the cryptography package is missing; run conformance/python/setup.sh\n")
        sys.exit(2)


sys.path.insert(0, HERE)


class Adapter:
    """The request loop's state: the scenario in progress, if any."""

    def __init__(self, mutant=None):
        from paycode_py import __version__, ops

        self.ops = ops
        self.session = None
        self.name = "paycode-py" if mutant is None else f"paycode-py+{mutant}"
        self.version = __version__

    def handle(self, request):
        """The response object for one request object; None for `stop`."""
        kind = request.get("type")
        seq = request.get("seq")
        if kind == "stop":
            return None
        if not isinstance(seq, int) or isinstance(seq, bool):
            return {"seq": 0, "error": "request without an integer seq"}
        try:
            if kind == "hello":
                return self.hello(seq, request)
            if kind == "case":
                return {"seq": seq, "output": self.ops.run(request["op"], request["input"])}
            if kind == "reset":
                self.session = None
                self.session = self.ops.Session(request["verifier"], request["state"])
                return {"seq": seq, "output": {"result": "valid"}}
            if kind == "step":
                if self.session is None:
                    return {"seq": seq, "error": "step without a successful reset"}
                if not isinstance(request["step"], dict):
                    return {"seq": seq, "error": "step: expected an object"}
                return {"seq": seq, "output": self.session.step(request["step"])}
            return {"seq": seq, "error": f"unknown request type {kind!r}"}
        except self.ops.BadInput as e:
            return {"seq": seq, "error": str(e)}
        except KeyError as e:
            return {"seq": seq, "error": f"missing field {e.args[0]!r}"}
        except Exception as e:  # never crash on input: report and go on
            traceback.print_exc(file=sys.stderr)
            return {"seq": seq, "error": f"internal error: {type(e).__name__}: {e}"}

    def hello(self, seq, request):
        if request.get("contract") != CONTRACT:
            return {"seq": seq, "error": f"contract {request.get('contract')!r} not supported; this adapter speaks {CONTRACT}"}
        return {
            "seq": seq,
            "type": "hello",
            "contract": CONTRACT,
            "implementation": {
                "name": self.name,
                "version": self.version,
                "language": f"Python {sys.version_info.major}.{sys.version_info.minor}",
            },
            "ops": list(self.ops.OPS),
            "profiles": ["hmac", "ed25519"],
            "classes": CLASSES,
            "declined": {},
        }


def serve(adapter, stdin, stdout):
    for raw in iter(stdin.readline, b""):
        line = raw.strip()
        if not line:
            continue
        try:
            request = json.loads(line)
        except (ValueError, UnicodeDecodeError) as e:
            response = {"seq": 0, "error": f"not JSON: {e}"}
        else:
            if isinstance(request, dict):
                response = adapter.handle(request)
            else:
                response = {"seq": 0, "error": "request is not a JSON object"}
            if response is None:
                return
        stdout.write(json.dumps(response, separators=(",", ":")) + "\n")
        stdout.flush()


def main():
    parser = argparse.ArgumentParser(description="paycode-adapter/1 for paycode_py")
    parser.add_argument("--mutant", metavar="NAME", help="enable one deliberately broken behaviour")
    parser.add_argument("--list-mutants", action="store_true", help="print the mutant names, one per line")
    args = parser.parse_args()
    _ensure_cryptography()
    from paycode_py import mutants

    if args.list_mutants:
        for name in mutants.MUTANTS:
            print(name)
        return 0
    if args.mutant is not None:
        if args.mutant not in mutants.MUTANTS:
            sys.stderr.write(f"unknown mutant {args.mutant!r}; --list-mutants names them\n")
            return 3
        mutants.enable(args.mutant)
    serve(Adapter(args.mutant), sys.stdin.buffer, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
