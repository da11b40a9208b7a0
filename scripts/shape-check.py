#!/usr/bin/env python3
"""Checks that every service keeps the house shape (STYLE.md sections 6, 8, 12).

- layers: no top-level module of a service imports one that imports it back
  (domain <- repository <- application <- api / consumers / workers);
- domain/ imports neither the platform, generated code, sqlx nor tonic;
  repository/ imports no generated code and publishes nothing (no unit of
  work, no outbox event);
- generated types (`proto::`, `pb::`) appear only in the edge modules
  (api/, events.rs, convert.rs, consumers.rs, neighbour clients such as
  registry.rs, app.rs, testing.rs): never in domain/, repository/,
  application/ or workers.rs;
- no call to another service inside an open unit of work: in a function
  taking a `Work`, or between `units.begin…` and `.commit(`, a call on a
  `registry` or a `…_client` is a breach (a heuristic, by the text);
- only the platform calls the idempotency, outbox, inbox and relay-wake
  functions: services go through the unit of work;
- no gRPC handler in api/ is longer than MAX_HANDLER lines;
- a service's test kit is compiled only with the `testkit` feature.

Imports are read with their groups expanded (`use crate::{api, domain};`,
also across lines). Prints each breach as `path:line: rule` and exits 1 when
there is one. `--self-test` checks the checker on made-up services first.
Run by `make lint`.
"""

import pathlib
import re
import sys
import tempfile

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
REPOSITORY_FORBIDDEN = re.compile(r"\bproto::|\bpb::|\bplatform::uow\b|\bOutboxEvent\b")
# Modules of the crate a repository never imports.
REPOSITORY_FORBIDDEN_MODULES = {"events", "api", "application", "convert"}
GENERATED = re.compile(r"\bproto::|\bpb::")
# Top-level modules that never see generated types (domain/ has its own rule).
GENERATED_FORBIDDEN = {"repository", "application", "workers"}
# A call to another service (the registry client, a `…_client`).
# (`ctx.registry.resolve(..)`, also as a chain broken across lines).
NETWORK_CALL = re.compile(r"\.registry(\.[a-z_]+\s*\(|\s*$)|\b[a-z_]+_client(\.[a-z_]+\s*\(|\s*$)")
UNIT_BEGIN = re.compile(r"\bunits\.begin(_job|_event)?\b")
UNIT_END = re.compile(r"\.commit\(|\bcommit_with\(")
FN_START = re.compile(r"^\s*(pub(\([a-z]+\))?\s+)?(async\s+)?fn\s+[a-z_0-9]+")
TAKES_WORK = re.compile(r"\bWork\b|\bPgConnection\b|\bRead\b")
NAME = re.compile(r"\s*([a-z_][a-z0-9_]*)")


def strip_comments(text):
    """Returns the lines with comment lines blanked (doc comments name
    modules in prose)."""
    return ["" if line.lstrip().startswith("//") else line for line in text.splitlines()]


def path_refs(lines, prefix):
    """Returns (line, name) for each module named right after `prefix::`
    (`crate` or `super`), groups expanded: `crate::{a, b::c}` names a and b,
    also when the group spans lines."""
    simple = re.compile(rf"\b{prefix}::([a-z_][a-z0-9_]*)")
    group = re.compile(rf"\b{prefix}::\{{")
    found = []
    for n, line in enumerate(lines, 1):
        found.extend((n, name) for name in simple.findall(line))
    text = "\n".join(lines)
    for m in group.finditer(text):
        depth, i, item_start = 1, m.end(), m.end()
        items = []
        while i < len(text) and depth:
            c = text[i]
            if c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            if depth == 0 or (c == "," and depth == 1):
                items.append(item_start)
                item_start = i + 1
            i += 1
        for start in items:
            name = NAME.match(text, start)
            if name and name.group(1) != "self":
                found.append((text.count("\n", 0, name.start(1)) + 1, name.group(1)))
    return found


def network_in_work(lines):
    """Yields the lines that call another service inside an open unit of
    work: in a function taking a `Work`, or after `units.begin…` and before
    `.commit(` in one function."""
    in_work_fn, open_unit, signature = False, False, None
    for n, line in enumerate(lines, 1):
        if FN_START.match(line):
            signature, in_work_fn, open_unit = "", False, False
        if signature is not None:
            signature += line
            if "{" in line or ";" in line:
                in_work_fn = bool(TAKES_WORK.search(signature.split("->")[0]))
                signature = None
            continue
        if UNIT_BEGIN.search(line):
            open_unit = True
        if (in_work_fn or open_unit) and NETWORK_CALL.search(line):
            yield n
        if UNIT_END.search(line):
            open_unit = False


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


def check(root):
    """Returns the breaches of every service under `root`."""
    breaches = []
    for service in sorted((root / "services").iterdir()):
        src = service / "src"
        if not src.is_dir():
            continue
        graph = {}
        for path in sorted(src.rglob("*.rs")):
            rel = path.relative_to(root)
            lines = strip_comments(path.read_text())
            module = top_module(src, path)
            for n, line in enumerate(lines, 1):
                for pattern, rule in PLATFORM_ONLY:
                    if pattern.search(line):
                        breaches.append(f"{rel}:{n}: {rule}")
                if module == "domain" and DOMAIN_FORBIDDEN.search(line):
                    breaches.append(f"{rel}:{n}: domain/ is pure: no platform, generated code, sqlx or tonic")
                if module == "repository" and REPOSITORY_FORBIDDEN.search(line):
                    breaches.append(f"{rel}:{n}: repository/ takes and returns domain types only and publishes nothing")
                if module in GENERATED_FORBIDDEN and GENERATED.search(line):
                    breaches.append(f"{rel}:{n}: {module} never names generated types; only api/, events.rs, convert.rs, consumers.rs and neighbour clients do (application/ returns domain types or takes an `answer` closure)")
            used = path_refs(lines, "crate")
            # `super::x` in a file directly inside a top-level folder is
            # the crate root's module x.
            if path.parent.parent == src:
                used += path_refs(lines, "super")
            for n, name in used:
                if module == "repository" and name in REPOSITORY_FORBIDDEN_MODULES:
                    breaches.append(f"{rel}:{n}: repository/ imports no {name} (it takes and returns domain types only)")
                if name != module and is_module(src, name):
                    graph.setdefault(module, set()).add(name)
            if module not in ("api", "testing"):
                for n in network_in_work(lines):
                    breaches.append(f"{rel}:{n}: a call to another service inside an open unit of work; call it before `units.begin…` (STYLE.md section 8)")
            if module == "api":
                for n, name, length in handler_lengths(lines):
                    if length > MAX_HANDLER:
                        breaches.append(f"{rel}:{n}: fn {name} is {length} lines; an api handler decodes, calls one use case and encodes (at most {MAX_HANDLER})")
        graph.pop("lib", None)
        graph.pop("main", None)
        for cycle in cycles(graph):
            breaches.append(f"{service.relative_to(root)}/src: module cycle {' -> '.join(cycle)}")
        lib = src / "lib.rs"
        if lib.exists():
            text = lib.read_text()
            if re.search(r"^pub mod testing;", text, re.M) and not re.search(
                r'#\[cfg\(any\(test, feature = "testkit"\)\)\]\s*\npub mod testing;', text
            ):
                breaches.append(f"{lib.relative_to(root)}: the test kit is compiled only with the `testkit` feature")
    return breaches


# Made-up services for --self-test: each file, and the rules it must break.
SELF_TEST = {
    "services/clean/src/lib.rs": ("pub mod api;\npub mod application;\npub mod domain;\n", []),
    "services/clean/src/domain/mod.rs": ("pub struct Thing;\n", []),
    "services/clean/src/api/mod.rs": (
        "use crate::{\n    application::{self, things},\n    domain::Thing,\n};\nuse proto::x::v1 as pb;\n", []),
    "services/clean/src/application/mod.rs": (
        "use crate::domain::Thing;\n"
        "pub async fn act(ctx: &Context) -> Result<(), AppError> {\n"
        "    let placed = ctx.registry.resolve(at).await?;\n"
        "    let mut work = ctx.units.begin_job().await?;\n"
        "    work.commit(()).await\n}\n", []),
    "services/broken/src/lib.rs": ("pub mod api;\npub mod application;\npub mod domain;\npub mod repository;\n", []),
    "services/broken/src/domain/mod.rs": ("pub struct Thing;\n", []),
    "services/broken/src/api/mod.rs": ("use crate::application;\n", []),
    "services/broken/src/application/mod.rs": (
        "use crate::{\n    domain::Thing,\n    api,\n};\n"
        "use proto::x::v1 as pb;\n"
        "pub async fn act(ctx: &Context) -> Result<pb::Thing, AppError> {\n"
        "    let mut work = ctx.units.begin(key).await?;\n"
        "    let chain = ctx\n        .registry\n        .responsible(at)\n        .await?;\n"
        "    work.commit(pb::Thing::default()).await\n}\n"
        "async fn helper(work: &mut Work<A>, ctx: &Context) {\n"
        "    ctx.video_client.fetch(id).await;\n}\n"
        "async fn lookup(\n    conn: &mut PgConnection,\n    ctx: &Context,\n) -> Result<(), AppError> {\n"
        "    ctx.registry.responsible(at).await?;\n}\n",
        ["module cycle", "generated types", "generated types", "generated types",
         "another service", "another service", "another service"]),
    "services/broken/src/repository/mod.rs": (
        "use crate::{domain::Thing, events};\nuse platform::uow::Work;\n"
        "fn f() -> platform::outbox::OutboxEvent { todo!() }\n",
        ["repository/ imports no events", "publishes nothing", "publishes nothing"]),
}


def self_test():
    """Checks the checker on SELF_TEST; returns the failures."""
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        for rel, (text, _) in SELF_TEST.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        breaches = check(root)
    failures = []
    for rel, (_, expected) in SELF_TEST.items():
        file_breaches = [b for b in breaches if b.startswith(rel + ":")]
        for rule in expected:
            if rule == "module cycle":
                continue
            hits = [b for b in file_breaches if rule in b]
            if len(hits) < expected.count(rule):
                failures.append(f"{rel}: expected {expected.count(rule)} breach(es) naming {rule!r}, got {file_breaches}")
        if not expected and file_breaches:
            failures.append(f"{rel}: expected no breach, got {file_breaches}")
    if not any("services/broken/src: module cycle" in b for b in breaches):
        failures.append(f"services/broken: the grouped `use crate::{{…, api}}` edge was not seen: {breaches}")
    if any(b.startswith("services/clean/") for b in breaches):
        failures.append(f"services/clean: expected no breach, got {[b for b in breaches if b.startswith('services/clean/')]}")
    return failures


def main():
    if "--self-test" in sys.argv[1:]:
        failures = self_test()
        for failure in failures:
            print(f"shape-check self-test: {failure}", file=sys.stderr)
        if failures:
            return 2
        print("shape-check: self-test passed")
    breaches = check(ROOT)
    for breach in breaches:
        print(breach)
    if breaches:
        print(f"shape-check: {len(breaches)} breach(es) of STYLE.md sections 6, 8 and 12", file=sys.stderr)
        return 1
    print("shape-check: every service keeps the house shape")
    return 0


if __name__ == "__main__":
    sys.exit(main())
