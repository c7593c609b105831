#!/usr/bin/env python3
"""Import cycles between the modules of each crate: none allowed.

A module's edges are the modules its non-test code names: `use` trees and inline
paths starting with `crate::`, `super::` or `self::`, and bare paths through a module
it imported. A path counts towards the longest module that prefixes it (so
`super::ServiceError` from `service::cases` is an edge to `service`), and a name the
crate root re-exports (`crate::Score`) counts towards the module it comes from. Left
out, on purpose: `#[cfg(test)]` modules (tests may reach anywhere), comments and
strings, and edges to the crate root itself (its `#[macro_export]` macros).

Usage: scripts/cycles.py [CRATE_SRC_DIR ...]   (default: every crate of the workspace)
Prints each cycle and exits 1 if there is one.
"""
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CRATES = ["shared/src", "worker/src", "widget/src", "dashboard/src", "seed/src"]


def strip(text):
    """Removes comments, string and char literals (keeps line structure)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            hashes = re.match(r'r(#*)"', text[i:]).group(1)
            end = text.find('"' + hashes, i + 2 + len(hashes))
            i = n if end < 0 else end + 1 + len(hashes)
            out.append('""')
        elif c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
            out.append('""')
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]) or text.startswith("'\\u{", i):
            i = text.find("'", i + 2) + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_test_modules(text):
    """Removes `#[cfg(test)] mod name { ... }` blocks."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", text)
        if not m:
            return text
        depth, i = 1, m.end()
        while depth and i < len(text):
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        text = text[:m.start()] + text[i:]


def modules(src):
    """{module path (tuple): file} for the crate whose sources are in `src`."""
    found = {}
    for folder, _, files in os.walk(src):
        for name in files:
            if not name.endswith(".rs"):
                continue
            rel = os.path.relpath(os.path.join(folder, name), src)[:-3].split(os.sep)
            if rel[-1] in ("lib", "main") and len(rel) == 1:
                path = ()
            elif rel[-1] == "mod":
                path = tuple(rel[:-1])
            else:
                path = tuple(rel)
            if rel[0] == "bin":
                continue
            found[path] = os.path.join(folder, name)
    return found


def use_paths(tree):
    """Expands a `use` tree such as `super::{a, b::{c, d}}` into paths."""
    tree = re.sub(r"\s+", "", re.sub(r"\s+as\s+\w+", "", tree))
    m = re.match(r"^(.*?)\{(.*)\}$", tree)
    if not m:
        return [tree] if tree else []
    prefix, inner = m.group(1), m.group(2)
    parts, depth, start = [], 0, 0
    for i, c in enumerate(inner):
        depth += {"{": 1, "}": -1}.get(c, 0)
        if c == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    paths = []
    for part in parts:
        for p in use_paths(part):
            paths.append(prefix + p if p != "self" else prefix.rstrip(":"))
    return paths


def resolve(path, here, known):
    """The module a `::` path starting at module `here` names, or None (external)."""
    segs = [s for s in path.split("::") if s]
    if not segs:
        return None
    if segs[0] == "crate":
        base, segs = (), segs[1:]
    elif segs[0] in ("super", "self"):
        base = here
        while segs and segs[0] in ("super", "self"):
            if segs[0] == "super":
                base = base[:-1]
            segs = segs[1:]
    elif (here + (segs[0],)) in known:
        base = here
    else:
        return None
    target = base
    for s in segs:
        if target + (s,) in known:
            target = target + (s,)
        else:
            break
    return target


def reexports(known):
    """{name: module} for what the crate root re-exports (`pub use score::Score;`)."""
    if () not in known:
        return {}
    root = drop_test_modules(strip(open(known[()], encoding="utf-8").read()))
    found = {}
    for m in re.finditer(r"\bpub\s+use\s+([^;]+);", root):
        for p in use_paths(m.group(1)):
            target = resolve(p, (), known)
            if target:
                found[p.split("::")[-1]] = target
    return found


def edges(src):
    known = modules(src)
    exported = reexports(known)
    graph = {m: set() for m in known}
    for here, file in known.items():
        text = drop_test_modules(strip(open(file, encoding="utf-8").read()))
        imported = {}
        for m in re.finditer(r"\buse\s+([^;]+);", text):
            for p in use_paths(m.group(1)):
                target = resolve(p, here, known)
                if target is not None:
                    graph[here].add(target)
                    last = p.split("::")[-1]
                    if target[-1:] == (last,):
                        imported[last] = target
        for m in re.finditer(r"\b((?:crate|super|self)(?:::\w+)+)", text):
            target = resolve(m.group(1), here, known)
            if target is not None:
                graph[here].add(target)
        for m in re.finditer(r"(?<![\w:])(\w+)::(\w+)", text):
            if m.group(1) in imported:
                path = "crate::" + "::".join(imported[m.group(1)] + (m.group(2),))
                graph[here].add(resolve(path, here, known))
        for m in re.finditer(r"(?<![\w:])(\w+)::(\w+)", text):
            if here + (m.group(1),) in known:
                graph[here].add(resolve(m.group(1) + "::" + m.group(2), here, known))
        # `crate::Score` where the root re-exports `score::Score`: an edge to `score`.
        for m in re.finditer(r"\bcrate::(\w+)", text):
            if m.group(1) in exported:
                graph[here].add(exported[m.group(1)])
        graph[here] = {t for t in graph[here] if t not in (here, ())}
    return graph


def cycles(graph):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in graph:
        if v not in index:
            visit(v)
    return out


def name(module):
    return "::".join(module) or "(root)"


def main():
    crates = sys.argv[1:] or [os.path.join(ROOT, c) for c in CRATES]
    found = False
    for src in crates:
        graph = edges(src)
        for comp in cycles(graph):
            found = True
            members = set(comp)
            print(f"{os.path.relpath(src, ROOT)}: cycle among {', '.join(name(m) for m in comp)}")
            for m in comp:
                inside = sorted(name(t) for t in graph[m] if t in members)
                print(f"    {name(m)} -> {', '.join(inside)}")
    if found:
        sys.exit(1)
    print(f"no import cycles in {len(crates)} crates")


if __name__ == "__main__":
    main()
