#!/usr/bin/env python3
"""Checks that every service keeps the house shape (STYLE.md sections 6, 8, 12).

- layers: no top-level module of a service imports one that imports it back
  (domain <- repository <- application <- api / consumers / workers);
- domain/ imports neither the platform, generated code, sqlx nor tonic;
  repository/ imports no generated code and publishes nothing;
- only the platform calls the idempotency, outbox, inbox and relay-wake
  functions: services go through the unit of work;
- no gRPC handler in api/ is longer than MAX_HANDLER lines;
- a service's test kit is compiled only with the `testkit` feature.

Prints each breach as `path:line: rule` and exits 1 when there is one.
Run by `make lint`.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MAX_HANDLER = 60

# Only the platform may call these: services go through `platform::uow`.
PLATFORM_ONLY = [
    (re.compile(r"\bidempotency::(begin|complete|replay|finish)\b"), "idempotency keys are claimed by the unit of work"),
    (re.compile(r"\boutbox::enqueue\b"), "events are published through Work::publish"),
    (re.compile(r"\binbox::claim\b"), "inbox rows are claimed by Units::begin_event"),
    (re.compile(r"\bTxnEventHandler\b|\bInTxn\b"), "consumers implement inbox::EventHandler"),
    (re.compile(r"\.wake\(\)"), "the unit of work wakes the relay"),
]
DOMAIN_FORBIDDEN = re.compile(r"\b(platform|proto|sqlx|tonic|async_nats)::")
REPOSITORY_FORBIDDEN = re.compile(r"\bproto::|\bpb::|crate::(events|api|application|convert)\b")
CRATE_USE = re.compile(r"\bcrate::([a-z_][a-z0-9_]*)")
SUPER_USE = re.compile(r"\bsuper::([a-z_][a-z0-9_]*)")


def strip_comments(text):
    """Returns the lines with comment lines blanked (doc comments name
    modules in prose)."""
    return ["" if line.lstrip().startswith("//") else line for line in text.splitlines()]


def is_module(src, name):
    return (src / name).is_dir() or (src / f"{name}.rs").exists()


def top_module(src, path):
    rel = path.relative_to(src)
    first = rel.parts[0]
    return first[:-3] if first.endswith(".rs") else first


def cycles(graph):
    """Returns each cycle (as a list of modules) found by depth-first search."""
    found, state, stack = [], {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node)
    return found


def handler_lengths(lines):
    """Yields (line, name, length) of each fn in an api file."""
    fn = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?(async\s+)?fn\s+([a-z_0-9]+)")
    i = 0
    while i < len(lines):
        m = fn.match(lines[i])
        if not m:
            i += 1
            continue
        depth, started, j = 0, False, i
        while j < len(lines):
            depth += lines[j].count("{") - lines[j].count("}")
            started = started or "{" in lines[j]
            if started and depth <= 0:
                break
            j += 1
        yield i + 1, m.group(4), j - i + 1
        i = j + 1


def main():
    breaches = []
    for service in sorted((ROOT / "services").iterdir()):
        src = service / "src"
        if not src.is_dir():
            continue
        graph = {}
        for path in sorted(src.rglob("*.rs")):
            rel = path.relative_to(ROOT)
            lines = strip_comments(path.read_text())
            module = top_module(src, path)
            for n, line in enumerate(lines, 1):
                for pattern, rule in PLATFORM_ONLY:
                    if pattern.search(line):
                        breaches.append(f"{rel}:{n}: {rule}")
                if module == "domain" and DOMAIN_FORBIDDEN.search(line):
                    breaches.append(f"{rel}:{n}: domain/ is pure: no platform, generated code, sqlx or tonic")
                if module == "repository" and REPOSITORY_FORBIDDEN.search(line):
                    breaches.append(f"{rel}:{n}: repository/ takes and returns domain types only")
                used = set(CRATE_USE.findall(line))
                # `super::x` in a file directly inside a top-level folder is
                # the crate root's module x.
                if path.parent.parent == src:
                    used |= set(SUPER_USE.findall(line))
                for name in used:
                    if name != module and is_module(src, name):
                        graph.setdefault(module, set()).add(name)
            if module == "api":
                for n, name, length in handler_lengths(lines):
                    if length > MAX_HANDLER:
                        breaches.append(f"{rel}:{n}: fn {name} is {length} lines; an api handler decodes, calls one use case and encodes (at most {MAX_HANDLER})")
        graph.pop("lib", None)
        graph.pop("main", None)
        for cycle in cycles(graph):
            breaches.append(f"{service.relative_to(ROOT)}/src: module cycle {' -> '.join(cycle)}")
        lib = src / "lib.rs"
        if lib.exists():
            text = lib.read_text()
            if re.search(r"^pub mod testing;", text, re.M) and not re.search(
                r'#\[cfg\(any\(test, feature = "testkit"\)\)\]\s*\npub mod testing;', text
            ):
                breaches.append(f"{lib.relative_to(ROOT)}: the test kit is compiled only with the `testkit` feature")
    for breach in breaches:
        print(breach)
    if breaches:
        print(f"shape-check: {len(breaches)} breach(es) of STYLE.md sections 6, 8 and 12", file=sys.stderr)
        return 1
    print("shape-check: every service keeps the house shape")
    return 0


if __name__ == "__main__":
    sys.exit(main())
