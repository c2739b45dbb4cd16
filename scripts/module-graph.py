#!/usr/bin/env python3
"""The core crate's module graph: which module imports which, outside tests.

    python3 scripts/module-graph.py          # prints the graph, one module a line
    python3 scripts/module-graph.py --check  # also fails on a cycle

A module is a file under src/ (src/replay/window.rs is `replay::window`).
Its imports are the `crate::` paths it names outside `#[cfg(test)]` items;
an item re-exported at the crate root counts as an import of the module
that defines it. The core must form no cycle (README: "Where things live").
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
SRC = os.path.join(ROOT, "src")


def module_of(path):
    rel = os.path.relpath(path, SRC)[:-3]
    return "lib" if rel == "lib" else rel.replace(os.sep, "::")


def strip_tests(text):
    """Drops every `#[cfg(test)]` item: a module body or a single item."""
    out, i = [], 0
    while True:
        j = text.find("#[cfg(test)]", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        out.append(text[i:j])
        k = j + len("#[cfg(test)]")
        # skip to the item's end: a `;` before any `{`, or the matching `}`
        depth, started = 0, False
        while k < len(text):
            c = text[k]
            if c == ";" and not started:
                k += 1
                break
            if c == "{":
                depth += 1
                started = True
            elif c == "}":
                depth -= 1
                if started and depth == 0:
                    k += 1
                    break
            k += 1
        i = k


def root_reexports(lib_text):
    """name -> module, for `pub use module::{A, B}` at the crate root."""
    names = {}
    for m in re.finditer(r"pub use (\w+)::\{?([^;}]*)\}?;", lib_text):
        for name in m.group(2).split(","):
            name = name.strip()
            if name:
                names[name] = m.group(1)
    return names


def main():
    files = []
    for dirpath, _, names in os.walk(SRC):
        files += [os.path.join(dirpath, n) for n in names if n.endswith(".rs")]
    modules = {module_of(f): f for f in files}
    with open(os.path.join(SRC, "lib.rs")) as f:
        reexports = root_reexports(f.read())
    graph = {}
    for mod, path in sorted(modules.items()):
        if mod in ("lib", "hazmat"):
            continue  # the root and the re-export module import everything by design
        with open(path) as f:
            text = strip_tests(f.read())
        # comments, doc links among them, import nothing
        text = re.sub(r"//[^\n]*", "", text)
        deps = set()
        for m in re.finditer(r"crate::((?:\w+::)*\w+|\{[^}]*\})", text):
            path_ = m.group(1)
            heads = [p.strip() for p in path_.strip("{}").split(",")] if path_.startswith("{") else [path_]
            for h in heads:
                parts = h.split("::")
                if parts[0] in reexports:
                    parts[0] = reexports[parts[0]]
                # the longest module path the import names: `replay::window`, not `replay`
                target = next(
                    ("::".join(parts[:n]) for n in range(len(parts), 0, -1) if "::".join(parts[:n]) in modules),
                    None,
                )
                if target and target != mod and not mod.startswith(target + "::"):
                    deps.add(target)
        # a submodule's `super::` names its parent's siblings
        parent = mod.split("::")[0]
        for m in re.finditer(r"\bsuper::(\w+)", text):
            sub = parent + "::" + m.group(1)
            if sub in modules and sub != mod:
                deps.add(sub)
        graph[mod] = sorted(deps)
    for mod, deps in graph.items():
        print(f"{mod:18} -> {', '.join(deps) if deps else '(nothing)'}")
    cycle = find_cycle(graph)
    if cycle:
        print("cycle: " + " -> ".join(cycle), file=sys.stderr)
        if "--check" in sys.argv:
            sys.exit(1)
    elif "--check" in sys.argv:
        print("no cycle")


def find_cycle(graph):
    state = {}

    def visit(n, stack):
        state[n] = 1
        stack.append(n)
        for d in graph.get(n, []):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                c = visit(d, stack)
                if c:
                    return c
        stack.pop()
        state[n] = 2
        return None

    for n in graph:
        if n not in state:
            c = visit(n, [])
            if c:
                return c
    return None


if __name__ == "__main__":
    main()
