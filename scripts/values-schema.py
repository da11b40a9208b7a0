#!/usr/bin/env python3
"""Writes each chart's values.schema.json from its values.yaml.

Usage: values-schema.py [--check | --write]

  --check  (default) exits 1, naming the charts, when a chart's
           values.schema.json is not what its values.yaml gives;
  --write  rewrites them.

Helm validates every install, upgrade, template and lint against the
schema (JSON Schema draft-07), so a key a chart does not have, at any level
the chart defines, or a value of the wrong type is refused before anything
renders: `grpc.prot: 50051` or `caps.daily: "30"` fails with the path, where
Helm alone would ignore the one and the templates stumble on the other.

The schema follows values.yaml: every key there is a property, typed by its
default (a map with keys becomes an object that admits only them, an empty
map any keys, a list an array, and so on), described by the comment above
it. The rules below widen it where a default cannot say enough (a value
that may be a number or empty, a Kubernetes object passed on whole). A
service chart also admits `enabled` (the umbrella chart's condition), the
key Helm gives its library chart, and the umbrella's shared `global`
settings, which must be the same in every chart; the umbrella admits its
dependencies' keys as objects, which their own schemas check.

Needs PyYAML (in the deploy check's virtualenv, .tools/venv).
"""

import glob
import json
import os
import re
import sys

import yaml

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DRAFT = "http://json-schema.org/draft-07/schema#"

# Paths (dotted, "*" for any one key) whose values are passed on whole:
# Kubernetes objects and the library's own description of the service.
OPEN = {
    "app",
    "resources",
    "migrations.resources",
    "tests.resources",
    "podSecurityContext",
    "securityContext",
    "updateStrategy",
    "affinity",
}
# Values whose default cannot show every type they may take.
TYPES = {
    # An integer, or a percentage such as "50%".
    "podDisruptionBudget.maxUnavailable": ["integer", "string"],
    # Empty keeps the service's default.
    "clients.*.maxAttempts": ["integer", "string"],
    "nats.streamReplicas": ["integer", "string"],
    "nats.streamMaxBytes": ["integer", "string"],
    "nats.maxDeliveries": ["integer", "string"],
    "global.nats.streamReplicas": ["integer", "string"],
    "global.nats.streamMaxBytes": ["integer", "string"],
    # Metres may have decimals.
    "duplicates.radiusM": "number",
}
# Maps of free keys whose values are passed on as text.
SCALAR_MAPS = {"extraConfig"}
ENABLED = {
    "type": "boolean",
    "description": "Installs the service; set by the umbrella chart (charts/weigrid) as <service>.enabled.",
}
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z0-9_.-]+):(?:\s|$)")
COMMENT_LINE = re.compile(r"^(?P<indent> *)#(?: (?P<text>.*))?$")


def descriptions(path):
    """Maps each key's dotted path in values.yaml to the comment above it."""
    found, stack, comment = {}, [], []
    with open(path, encoding="utf-8") as file:
        for line in file.read().splitlines():
            if not line.strip():
                comment = []
                continue
            match = COMMENT_LINE.match(line)
            if match:
                comment.append((len(match["indent"]), (match["text"] or "").strip()))
                continue
            match = KEY_LINE.match(line)
            if not match:
                comment = []
                continue
            indent = len(match["indent"])
            while stack and stack[-1][0] >= indent:
                stack.pop()
            stack.append((indent, match["key"]))
            text = " ".join(t for i, t in comment if i == indent and t)
            if text:
                found[".".join(k for _, k in stack)] = text
            comment = []
    return found


def matches(pattern, path):
    pattern, path = pattern.split("."), path.split(".")
    return len(pattern) == len(path) and all(p in ("*", k) for p, k in zip(pattern, path))


def scalar_type(value):
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def infer(value, path, described):
    """Returns the schema of `value` found at `path` in values.yaml."""
    schema = {}
    wanted = next((t for p, t in TYPES.items() if matches(p, path)), None)
    if path in described:
        schema["description"] = described[path]
    if any(matches(p, path) for p in OPEN):
        schema["type"] = "object"
    elif wanted is not None:
        schema["type"] = wanted
    elif isinstance(value, dict):
        schema["type"] = "object"
        if path in SCALAR_MAPS:
            schema["additionalProperties"] = {"type": ["string", "number", "boolean"]}
        elif value:
            schema["additionalProperties"] = False
            schema["properties"] = {
                key: infer(child, f"{path}.{key}" if path else key, described) for key, child in value.items()
            }
    elif isinstance(value, list):
        schema["type"] = "array"
        kinds = {scalar_type(item) for item in value}
        if value and len(kinds) == 1 and None not in kinds:
            schema["items"] = {"type": kinds.pop()}
    elif value is not None:
        schema["type"] = scalar_type(value)
    return schema


def chart_schema(chart, globals_schema):
    """Returns the schema of `chart` (a directory under charts/)."""
    with open(os.path.join(chart, "Chart.yaml"), encoding="utf-8") as file:
        meta = yaml.safe_load(file)
    values_path = os.path.join(chart, "values.yaml")
    with open(values_path, encoding="utf-8") as file:
        values = yaml.safe_load(file) or {}
    described = descriptions(values_path)
    # Helm gives every dependency a key of its own, the library chart's too.
    every_dependency = [d["name"] for d in meta.get("dependencies") or []]
    dependencies = {d["name"] for d in meta.get("dependencies") or [] if d.get("condition")}
    schema = infer(values, "", described)
    properties = schema.setdefault("properties", {})
    for name in every_dependency:
        properties[name] = {
            "type": "object",
            "description": f"The {name} chart's values (charts/{name}/values.yaml), checked by its own schema."
            if name in dependencies
            else f"Helm's key for the {name} chart, which has no values of its own.",
        }
    if dependencies:
        # The umbrella: its shared settings are what every service reads.
        globals_schema.setdefault("umbrella", (chart, properties.get("global")))
    else:
        properties.setdefault("enabled", ENABLED)
        globals_schema.setdefault("services", []).append((chart, properties.get("global")))
    return {
        "$schema": DRAFT,
        "title": f"Values of the {meta['name']} chart",
        "description": (meta.get("description") or "").strip(),
        **schema,
    }


def stripped(schema):
    """A schema without its descriptions, to compare shapes."""
    if isinstance(schema, dict):
        return {k: stripped(v) for k, v in schema.items() if k != "description"}
    return schema


def render(schema):
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main(argv):
    command = argv[1] if len(argv) > 1 else "--check"
    if command not in ("--check", "--write"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    charts = []
    for chart_yaml in sorted(glob.glob(os.path.join(REPOSITORY, "charts", "*", "Chart.yaml"))):
        with open(chart_yaml, encoding="utf-8") as file:
            if (yaml.safe_load(file) or {}).get("type") == "library":
                continue
        charts.append(os.path.dirname(chart_yaml))
    globals_schema, schemas = {}, {}
    for chart in charts:
        schemas[chart] = chart_schema(chart, globals_schema)
    failed = False
    umbrella, shared = globals_schema.get("umbrella", (None, None))
    for chart, service_global in globals_schema.get("services", []):
        if umbrella and stripped(service_global) != stripped(shared):
            print(
                f"values-schema: {os.path.relpath(chart, REPOSITORY)}/values.yaml has other global settings than "
                f"{os.path.relpath(umbrella, REPOSITORY)}/values.yaml; every chart must list the same"
            )
            failed = True
    for chart, schema in schemas.items():
        path = os.path.join(chart, "values.schema.json")
        wanted = render(schema)
        current = open(path, encoding="utf-8").read() if os.path.exists(path) else None
        if current == wanted:
            continue
        if command == "--write":
            with open(path, "w", encoding="utf-8") as file:
                file.write(wanted)
            print(f"values-schema: wrote {os.path.relpath(path, REPOSITORY)}")
        else:
            print(f"values-schema: {os.path.relpath(path, REPOSITORY)} is not what values.yaml gives; "
                  "run scripts/values-schema.py --write")
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
