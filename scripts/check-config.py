#!/usr/bin/env python3
"""Starts the configuration of rendered manifests for real: runs each
weigrid binary's `--check-config` with exactly the environment and files its
container would see.

Usage: check-config.py [--expect-refusal] [--out FILE] BIN_DIR RENDER.yaml

For every container of every Deployment, Job, Pod, StatefulSet, DaemonSet
or CronJob in RENDER.yaml whose image is one of the binaries in BIN_DIR
(image ghcr.io/weigrid/grid-registry:… runs BIN_DIR/grid-registry), the
container's environment is built as the kubelet builds it:
  - the image's own ENV lines (services/<binary>/Dockerfile), under
  - envFrom ConfigMaps, found in the same render by name (a kustomize
    hash suffix included), under
  - env: literal values ($(VAR) expanded), configMapKeyRef from the render,
    and a placeholder for every secretKeyRef (a postgres:// URL for the
    database URL, text for the rest) and every fieldRef;
then every variable that names a file under one of the container's
volumeMounts is pointed into a temporary directory where a placeholder file
stands in for the Secret's or ConfigMap's key: a Secret volume that
projects `items` must project that very file, or the pod would not find it.
The binary then runs with only that environment (`--check-config`: every
configuration layer loaded and validated, nothing started), and its verdict
is printed, one line per container.

Exit status 0 when every container's configuration is accepted (or, with
--expect-refusal, when at least one is refused by its binary); 1 otherwise;
2 on a render that cannot be read. --out writes the refusals (the binaries'
own messages) to FILE, for a golden copy.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Where a workload kind keeps its pod spec.
POD_SPEC_PATHS = {
    "Pod": ("spec",),
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}

VARIABLE_REFERENCE = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\$")


class Unstartable(Exception):
    """The pod could not even be created as rendered (a missing ConfigMap,
    a file its Secret volume does not project)."""


def image_env(binary):
    """Returns the ENV of services/<binary>/Dockerfile."""
    path = os.path.join(REPOSITORY, "services", binary, "Dockerfile")
    env = {}
    if not os.path.exists(path):
        return env
    with open(path, encoding="utf-8") as file:
        text = file.read().replace("\\\n", " ")
    for line in text.splitlines():
        words = line.strip().split()
        if not words or words[0].upper() != "ENV":
            continue
        for pair in words[1:]:
            name, _, value = pair.partition("=")
            env[name] = value.strip('"')
    return env


def image_binary(image, binaries):
    """Returns the binary an image runs (its repository's last part), if ours."""
    name = image.split("@", 1)[0].rsplit("/", 1)[-1].split(":", 1)[0]
    return name if name in binaries else None


def secret_placeholder(variable, secret, key):
    if variable.endswith("__DATABASE__URL"):
        return "postgres://placeholder:placeholder@postgres.invalid:5432/placeholder"
    return f"placeholder-from-secret-{secret}-{key}"


def expand(value, env):
    """Expands $(VAR) references to variables defined before, as the kubelet does."""

    def replace(match):
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return VARIABLE_REFERENCE.sub(replace, value)


class Render:
    def __init__(self, path):
        with open(path, encoding="utf-8") as file:
            self.documents = [d for d in yaml.safe_load_all(file) if isinstance(d, dict)]
        self.config_maps = {}
        for document in self.documents:
            if document.get("kind") == "ConfigMap":
                metadata = document.get("metadata") or {}
                self.config_maps[(metadata.get("namespace"), metadata.get("name"))] = document.get("data") or {}

    def config_map(self, namespace, name):
        return self.config_maps.get((namespace, name), self.config_maps.get((None, name)))

    def containers(self, binaries):
        """Yields (label, namespace, pod spec, container, binary) for each of ours."""
        for document in self.documents:
            path = POD_SPEC_PATHS.get(document.get("kind"))
            if not path:
                continue
            spec = document
            for step in path:
                spec = (spec or {}).get(step)
            if not spec:
                continue
            metadata = document.get("metadata") or {}
            label = f"{document['kind']}/{metadata.get('name')}"
            for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                binary = image_binary(container.get("image", ""), binaries)
                if binary:
                    yield label, metadata.get("namespace"), spec, container, binary


def container_env(render, namespace, container, binary):
    """Returns the container's variables as the kubelet would set them."""
    env = image_env(binary)
    for source in container.get("envFrom") or []:
        prefix = source.get("prefix", "")
        if "configMapRef" in source:
            reference = source["configMapRef"]
            data = render.config_map(namespace, reference["name"])
            if data is None:
                if reference.get("optional"):
                    continue
                raise Unstartable(f"envFrom names ConfigMap {reference['name']}, which this render does not contain")
            env.update({prefix + k: str(v) for k, v in data.items()})
        else:
            raise Unstartable("envFrom a Secret: its keys cannot be known offline; use env with secretKeyRef")
    for variable in container.get("env") or []:
        name = variable["name"]
        if "value" in variable:
            env[name] = expand(str(variable["value"]), env)
            continue
        source = variable.get("valueFrom") or {}
        if "secretKeyRef" in source:
            reference = source["secretKeyRef"]
            env[name] = secret_placeholder(name, reference.get("name"), reference.get("key"))
        elif "configMapKeyRef" in source:
            reference = source["configMapKeyRef"]
            data = render.config_map(namespace, reference.get("name"))
            if data is not None:
                if reference.get("key") not in data:
                    raise Unstartable(f"{name} names key {reference.get('key')} of ConfigMap {reference.get('name')}, which it lacks")
                env[name] = str(data[reference["key"]])
            else:
                # A ConfigMap made outside this render: its value is unknown.
                env[name] = f"placeholder-from-configmap-{reference.get('name')}-{reference.get('key')}"
        else:
            env[name] = f"placeholder-for-{name}"
    return env


def projected_files(volume):
    """Returns the file names a Secret or ConfigMap volume projects, or None
    when it projects every key of its source."""
    for kind in ("secret", "configMap"):
        if kind in volume:
            items = volume[kind].get("items")
            return None if not items else {item["path"] for item in items}
    return None


def volume_source(volume):
    for kind, title in (("secret", "Secret"), ("configMap", "ConfigMap")):
        if kind in volume:
            return f"{title} {volume[kind].get('secretName') or volume[kind].get('name')}"
    return next((k for k in volume if k != "name"), "volume")


def place_files(env, spec, container, root):
    """Points every variable naming a file under a volumeMount into `root`,
    creating a placeholder file there; fails when the volume does not
    project that file."""
    volumes = {volume["name"]: volume for volume in spec.get("volumes") or []}
    mounts = sorted(container.get("volumeMounts") or [], key=lambda m: len(m["mountPath"]), reverse=True)
    for name, value in sorted(env.items()):
        if not value.startswith("/"):
            continue
        for mount in mounts:
            mount_path = mount["mountPath"].rstrip("/")
            if mount.get("subPath"):
                if value != mount_path:
                    continue
                relative = mount["subPath"]
            elif value.startswith(mount_path + "/"):
                relative = value[len(mount_path) + 1 :]
            else:
                continue
            volume = volumes.get(mount["name"])
            if volume is None:
                raise Unstartable(f"volumeMount {mount['name']} has no volume")
            files = projected_files(volume)
            if files is not None and relative not in files:
                raise Unstartable(
                    f"{name}={value}: volume {mount['name']} ({volume_source(volume)}) projects "
                    f"{', '.join(sorted(files))}, not {relative}"
                )
            placed = os.path.join(root, value.lstrip("/"))
            os.makedirs(os.path.dirname(placed), exist_ok=True)
            if not os.path.exists(placed):
                with open(placed, "w", encoding="utf-8") as file:
                    file.write(f"placeholder for {volume_source(volume)}, {relative}\n")
            env[name] = placed
            break


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--expect-refusal", action="store_true")
    parser.add_argument("--out")
    parser.add_argument("bin_dir")
    parser.add_argument("render")
    args = parser.parse_args(argv[1:])
    # The binaries run in a directory of their own.
    args.bin_dir = os.path.abspath(args.bin_dir)

    binaries = {
        name
        for name in os.listdir(args.bin_dir)
        if os.path.isfile(os.path.join(args.bin_dir, name)) and os.access(os.path.join(args.bin_dir, name), os.X_OK)
    }
    try:
        render = Render(args.render)
    except (OSError, yaml.YAMLError) as error:
        print(f"check-config: {error}", file=sys.stderr)
        return 2

    checked, refusals, failures = 0, [], []
    for label, namespace, spec, container, binary in render.containers(binaries):
        checked += 1
        command = " ".join([binary] + [str(a) for a in container.get("args") or []])
        where = f"{label} container {container['name']} ({command})"
        root = tempfile.mkdtemp(prefix="weigrid-check-config-")
        try:
            env = container_env(render, namespace, container, binary)
            place_files(env, spec, container, root)
            refusal = None
            outcome = subprocess.run(
                [os.path.join(args.bin_dir, binary), "--check-config"],
                env=env,
                cwd=root,
                capture_output=True,
                text=True,
                timeout=60,
                check=False,
            )
            if outcome.returncode != 0:
                refusal = (outcome.stderr.strip() or outcome.stdout.strip()) + f" (exit {outcome.returncode})"
        except Unstartable as error:
            failures.append(f"{where}: cannot start: {error}")
            print(f"    {where}: cannot start: {error}")
            continue
        except subprocess.TimeoutExpired:
            failures.append(f"{where}: --check-config did not finish")
            print(f"    {where}: --check-config did not finish")
            continue
        finally:
            shutil.rmtree(root, ignore_errors=True)
        if refusal is None:
            print(f"    {where}: accepted")
        else:
            print(f"    {where}: REFUSED: {refusal}")
            refusals.append(f"{label} {container['name']}: {refusal}")

    if args.out:
        with open(args.out, "w", encoding="utf-8") as file:
            file.writelines(line + "\n" for line in refusals)
    if checked == 0:
        if not any(d.get("kind") in POD_SPEC_PATHS for d in render.documents):
            print(f"    {args.render} runs no pods (nothing to start)")
            return 0
        # Pods, but none of ours: an image renamed past recognition.
        print(f"    no container of {args.render} runs one of {', '.join(sorted(binaries)) or 'the binaries'}")
        return 1
    if failures:
        return 1
    if args.expect_refusal:
        if not refusals:
            print("    every binary accepted its configuration, but this one must be refused")
            return 1
        return 0
    return 1 if refusals else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
