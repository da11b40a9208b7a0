#!/usr/bin/env python3
"""Writes the SQL a release of each service runs, for the contract test.

    scripts/release-queries.py REV

reads every `sqlx::query…("…")` literal in services/<service>/src at git
revision REV and writes tests/previous-release/<service>.sql, one statement
per entry, with REV recorded. `tests/tests/previous_release.rs` then prepares
each statement against a database migrated by the current release: a column
or table the previous release still uses and a new migration dropped fails
the test (migrations are additive within a release: expand now, contract a
release later). Run it when a release is cut, with the release's tag.

Statements built at run time (format!) are not literals and are left out;
the file says how many.
"""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "previous-release"
CALL = re.compile(r"sqlx::query(?:_as|_scalar)?(?:::<[^(]*>)?\(\s*")
# A Rust string literal: "…" with escapes, or r"…" / r#"…"#.
LITERAL = re.compile(r'r(#*)"(.*?)"\1|"((?:[^"\\]|\\.)*)"', re.S)


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True,
                          capture_output=True, text=True).stdout


def unescape(text: str) -> str:
    # Rust's line continuation (backslash, newline, indentation) and escapes.
    text = re.sub(r"\\\n\s*", "", text)
    return text.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


CONST = re.compile(r"const ([A-Z_]+): &str =\s*")
FORMAT = re.compile(r"(?:sqlx::AssertSqlSafe\(\s*)?&?format!\(\s*")
PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


def literal_at(text: str) -> str | None:
    literal = LITERAL.match(text)
    if literal is None:
        return None
    return literal.group(2) if literal.group(2) is not None else unescape(literal.group(3))


def statements(source: str) -> tuple[list[str], int]:
    consts = {}
    for const in CONST.finditer(source):
        value = literal_at(source[const.end():])
        if value is not None:
            consts[const.group(1)] = value
    found, dynamic = [], 0
    for call in CALL.finditer(source):
        rest = source[call.end():]
        raw = literal_at(rest)
        if raw is None:
            # format!("… {COLUMNS} …") over the file's constants is kept;
            # anything else is built at run time.
            fmt = FORMAT.match(rest)
            raw = literal_at(rest[fmt.end():]) if fmt else None
            names = PLACEHOLDER.findall(raw or "")
            if raw is None or not names or any(n not in consts for n in names) \
                    or "{}" in raw:
                dynamic += 1
                continue
            raw = PLACEHOLDER.sub(lambda m: consts[m.group(1)], raw)
        found.append(" ".join(raw.split()))
    return found, dynamic


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    rev = sys.argv[1]
    commit = git("rev-parse", rev).strip()
    date = git("show", "-s", "--format=%cs", commit).strip()
    OUT.mkdir(parents=True, exist_ok=True)
    for service in git("ls-tree", "--name-only", f"{commit}:services").split():
        files = [f for f in git("ls-tree", "-r", "--name-only", commit, f"services/{service}/src").split()
                 if f.endswith(".rs") and "/testing" not in f and not f.endswith("testing.rs")]
        all_statements, dynamic = [], 0
        for file in files:
            found, skipped = statements(git("show", f"{commit}:{file}"))
            all_statements += found
            dynamic += skipped
        unique = sorted(set(all_statements))
        lines = [f"-- The SQL {service} runs at {commit[:12]} ({date}), from its literals;",
                 f"-- {dynamic} statement(s) built at run time are not here.",
                 "-- Written by scripts/release-queries.py; checked by tests/tests/previous_release.rs.",
                 ""]
        lines += [f"{s};" for s in unique]
        (OUT / f"{service}.sql").write_text("\n".join(lines) + "\n")
        print(f"{service}: {len(unique)} statements ({dynamic} built at run time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
