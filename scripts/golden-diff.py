#!/usr/bin/env python3
"""Compares a rendered file with its golden copy and prints what differs.

Usage: golden-diff.py GOLDEN RENDERED

Exit status 0 when the two are equal in substance, 1 when they differ (the
difference is printed as a unified diff of the normalised forms), 2 on a file
that cannot be read or parsed.

Manifests (*.yaml) are compared as data, so key order, comments, blank lines,
quoting and document order do not count. Two values are rewritten on both
sides before comparing, because the chart's version is part of them:
  - the helm.sh/chart label ("<chart>-<version>") loses its version;
  - a checksum/config annotation that is the sha256 of a ConfigMap rendered
    in the same file (as Helm computes it, over the ConfigMap's text, labels
    and all) becomes the name of that ConfigMap. A checksum of anything else
    is kept as it is, so a wrong one still shows; the ConfigMap's own data is
    compared like every other object's.
The name kustomize gives a generated ConfigMap or Secret ("<name>-<hash of
its content>") becomes "<name>-<kustomize hash>", in the object and wherever
it is referred to, for the same reason: its content is compared instead.
Text (*.txt: install notes, refusals) is compared line by line, ignoring
trailing spaces and blank lines at the end.

Needs PyYAML (in the deploy check's virtualenv, .tools/venv).
"""

import difflib
import hashlib
import re
import sys

import yaml

CHART_LABEL = "helm.sh/chart"
CHECKSUM_ANNOTATION = "checksum/config"
# "<name>-<semver>", as the charts' labels write it ("+" becomes "_").
CHART_LABEL_VALUE = re.compile(r"^(?P<name>.+?)-\d+\.\d+\.\d+(?:[-_][0-9A-Za-z.\-_]*)?$")
# The suffix kustomize appends to a generated ConfigMap's or Secret's name:
# ten characters of its content's hash, in kustomize's alphabet (hexadecimal
# with 0, 1, 3, a and e replaced by g, h, k, m and t).
KUSTOMIZE_HASH_SUFFIX = re.compile(r"^(?P<name>.+)-[2456789bcdfghkmt]{10}$")
# Helm separates the documents of `helm template` with this line.
DOCUMENT_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)


def configmap_checksums(text):
    """Maps the sha256 of each ConfigMap's text to the ConfigMap's name."""
    checksums = {}
    for chunk in DOCUMENT_SEPARATOR.split(text):
        lines = chunk.lstrip("\n").split("\n")
        # Helm's checksum covers the rendered template, not its "# Source" line.
        if lines and lines[0].startswith("# Source:"):
            lines = lines[1:]
        body = "\n".join(lines).rstrip("\n") + "\n"
        try:
            document = yaml.safe_load(body)
        except yaml.YAMLError:
            continue
        if isinstance(document, dict) and document.get("kind") == "ConfigMap":
            name = (document.get("metadata") or {}).get("name", "?")
            checksums[hashlib.sha256(body.encode()).hexdigest()] = name
    return checksums


def generated_names(documents):
    """Maps each generated ConfigMap's or Secret's hashed name to its name
    without the hash."""
    names = {}
    for document in documents:
        if isinstance(document, dict) and document.get("kind") in ("ConfigMap", "Secret"):
            name = str((document.get("metadata") or {}).get("name", ""))
            match = KUSTOMIZE_HASH_SUFFIX.match(name)
            if match:
                names[name] = f"{match['name']}-<kustomize hash>"
    return names


def normalise(node, checksums, names=None):
    """Rewrites, in place, the values that follow the chart's version or a
    generated object's content."""
    names = names or {}
    if isinstance(node, dict):
        for key, value in node.items():
            if isinstance(value, str) and value in names:
                node[key] = names[value]
            elif key == CHART_LABEL and isinstance(value, str):
                match = CHART_LABEL_VALUE.match(value)
                if match:
                    node[key] = f"{match['name']}-<chart version>"
            elif key == CHECKSUM_ANNOTATION and isinstance(value, str) and value in checksums:
                node[key] = f"<sha256 of ConfigMap {checksums[value]}>"
            else:
                normalise(value, checksums, names)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if isinstance(item, str) and item in names:
                node[index] = names[item]
            else:
                normalise(item, checksums, names)


def identity(document):
    if not isinstance(document, dict):
        return ("", "", "")
    metadata = document.get("metadata") or {}
    return (str(document.get("kind", "")), str(metadata.get("namespace", "")), str(metadata.get("name", "")))


def manifests(path):
    """Maps each object's (kind, namespace, name) to its normalised YAML lines."""
    with open(path, encoding="utf-8") as file:
        text = file.read()
    checksums = configmap_checksums(text)
    documents = [d for d in yaml.safe_load_all(text) if d is not None]
    names = generated_names(documents)
    objects = {}
    for document in documents:
        normalise(document, checksums, names)
        dumped = yaml.safe_dump(document, sort_keys=True, default_flow_style=False, width=1000)
        # Objects of the same kind and name (none are expected) keep their order.
        objects.setdefault(identity(document), []).extend(dumped.splitlines() + ["---"])
    return objects


def text_lines(path):
    with open(path, encoding="utf-8") as file:
        lines = [line.rstrip() for line in file.read().splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def diff(expected, actual, golden_label, rendered_label):
    return [
        line + "\n"
        for line in difflib.unified_diff(
            expected, actual, fromfile=f"{golden_label} (golden)", tofile=f"{rendered_label} (now)", lineterm="", n=4
        )
    ]


def main(argv):
    if len(argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    golden, rendered = argv[1], argv[2]
    try:
        if golden.endswith((".yaml", ".yml")):
            expected, actual = manifests(golden), manifests(rendered)
            differences = []
            for key in sorted(expected.keys() | actual.keys()):
                what = " ".join(part for part in (key[0], "/".join(p for p in key[1:] if p)) if part)
                differences += diff(
                    expected.get(key, []), actual.get(key, []), f"{golden}: {what}", f"{rendered}: {what}"
                )
        else:
            differences = diff(text_lines(golden), text_lines(rendered), golden, rendered)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        print(f"golden-diff: {error}", file=sys.stderr)
        return 2
    sys.stdout.writelines(differences)
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
