#!/usr/bin/env python3
"""Fails when a crate's top-level modules import each other in a circle (`crate::a` in b and `crate::b`
in a, directly or through others). Comments are ignored; `main.rs`, `lib.rs` and the binary's own
modules are roots, not part of the graph. Usage: scripts/module-cycles.py [crates/*]"""
import glob
import os
import re
import sys


def graph(src):
    mods = {}
    for path in glob.glob(os.path.join(src, "**/*.rs"), recursive=True):
        rel = os.path.relpath(path, src)
        top = rel.split(os.sep)[0].removesuffix(".rs")
        if top in ("main", "lib", "bin", "bench"):
            continue
        code = "\n".join(l for l in open(path, encoding="utf-8") if not l.lstrip().startswith("//"))
        deps = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", code))
        deps.discard(top)
        mods.setdefault(top, set()).update(deps)
    return mods


def cycles(mods):
    def reach(a):
        seen, todo = set(), [a]
        while todo:
            for b in mods.get(todo.pop(), ()):
                if b not in seen:
                    seen.add(b)
                    todo.append(b)
        return seen
    return sorted({tuple(sorted((a, b))) for a in mods for b in mods[a] if b in mods and a in reach(b)})


bad = 0
for crate in sys.argv[1:] or sorted(glob.glob("crates/*")):
    found = cycles(graph(os.path.join(crate, "src")))
    for a, b in found:
        print(f"{crate}: modules {a} and {b} import each other (directly or through others)")
    bad += len(found)
print(f"module cycles: {bad}")
sys.exit(1 if bad else 0)
