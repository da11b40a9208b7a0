#!/usr/bin/env python3
"""Writes the NATS permissions of charts/weigrid/nats/permissions.yaml where
NATS reads them.

Usage: nats-values.py [--check | --write | accounts | --test-server NATS_SERVER]

  --check    (default) exits 1, printing the difference, when the generated
             parts of charts/weigrid/nats/values.yaml (the account with one
             user per service, and the variables their passwords come from)
             are not what permissions.yaml gives;
  --write    rewrites those parts;
  accounts   prints the same account as nats-server configuration, to
             include in a private server's configuration (each password is
             read from its variable, e.g. $GRID_REGISTRY_NATS_PASSWORD);
  --test-server NATS_SERVER
             has that nats-server binary check (-t) a configuration with
             JetStream and this account, the passwords set to placeholders.

From each service's entry it derives, for nats.prefix "" (production):
  publish   its own subjects; for the stream it owns, the JetStream requests
            to inspect, create and update it; for each consumer, those to
            inspect its stream, inspect and create the consumer, pull from
            it and acknowledge what it pulled (an ordered consumer, which the
            client names and renames, any name on its stream, and deleting
            one it replaces);
  subscribe its own reply inbox only (_INBOX_<service>.>, the prefix the
  chart sets as nats.inbox_prefix).

Needs PyYAML (in the deploy check's virtualenv, .tools/venv).
"""

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile

import yaml

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PERMISSIONS = os.path.join(REPOSITORY, "charts", "weigrid", "nats", "permissions.yaml")
VALUES = os.path.join(REPOSITORY, "charts", "weigrid", "nats", "values.yaml")
# The generated parts of values.yaml sit between these lines.
BEGIN = re.compile(r"^(?P<indent> *)# BEGIN (?P<part>[a-z]+), written by scripts/nats-values.py from permissions.yaml$")
END = re.compile(r"^ *# END (?P<part>[a-z]+)$")
def inbox(service):
    """Returns the reply subjects of `service` (its nats.inbox_prefix)."""
    return "_INBOX_" + service["user"].replace("-", "_") + ".>"
JS_API = "$JS.API"


def publish_permissions(service):
    """Returns the subjects `service` may publish to."""
    own = service["stream"]
    subjects = [
        service["publish"],
        f"{JS_API}.STREAM.INFO.{own}",
        f"{JS_API}.STREAM.CREATE.{own}",
        f"{JS_API}.STREAM.UPDATE.{own}",
    ]
    for consumer in service.get("consumers", []):
        stream, filter_subject = consumer["stream"], consumer["filter"]
        # A consumer declares the stream it reads (get or create): it may
        # inspect another service's, not create or change it.
        subjects.append(f"{JS_API}.STREAM.INFO.{stream}")
        if consumer.get("ordered"):
            subjects += [
                f"{JS_API}.CONSUMER.CREATE.{stream}",
                f"{JS_API}.CONSUMER.CREATE.{stream}.*.{filter_subject}",
                f"{JS_API}.CONSUMER.INFO.{stream}.*",
                f"{JS_API}.CONSUMER.DELETE.{stream}.*",
                f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.*",
            ]
        else:
            name = consumer["name"]
            subjects += [
                f"{JS_API}.CONSUMER.INFO.{stream}.{name}",
                f"{JS_API}.CONSUMER.CREATE.{stream}.{name}.{filter_subject}",
                f"{JS_API}.CONSUMER.MSG.NEXT.{stream}.{name}",
                f"$JS.ACK.{stream}.{name}.>",
            ]
    return list(dict.fromkeys(subjects))


def load_permissions():
    with open(PERMISSIONS, encoding="utf-8") as file:
        return yaml.safe_load(file)


def users(permissions, password):
    """Returns the account's users, each password given by password(service)."""
    return [
        {
            "user": service["user"],
            "password": password(service),
            "permissions": {
                "publish": {"allow": publish_permissions(service)},
                "subscribe": {"allow": [inbox(service)]},
            },
        }
        for service in permissions["services"].values()
    ]


def generated_parts(permissions):
    """Returns the text of each generated part of values.yaml, unindented."""
    accounts = {
        "merge": {
            "accounts": {
                permissions["account"]: {
                    "jetstream": "enabled",
                    # "<< $VAR >>" is written unquoted by the chart: a
                    # variable of the server's environment.
                    "users": users(permissions, lambda s: f"<< ${s['passwordVariable']} >>"),
                }
            }
        }
    }
    env = {
        "env": {
            service["passwordVariable"]: {
                "valueFrom": {"secretKeyRef": {"name": f"weigrid-nats-{name}", "key": "password"}}
            }
            for name, service in permissions["services"].items()
        }
    }
    dump = lambda data: yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=1000)
    return {"accounts": dump(accounts), "env": dump(env)}


def regenerate(text, parts):
    """Returns values.yaml's text with its generated parts replaced."""
    out, lines, index = [], text.splitlines(keepends=True), 0
    seen = set()
    while index < len(lines):
        line = lines[index]
        out.append(line)
        begin = BEGIN.match(line.rstrip("\n"))
        index += 1
        if not begin:
            continue
        part, indent = begin["part"], begin["indent"]
        if part not in parts:
            raise SystemExit(f"nats-values: {VALUES} has an unknown part {part!r}")
        while index < len(lines) and not END.match(lines[index].rstrip("\n")):
            index += 1
        if index == len(lines):
            raise SystemExit(f"nats-values: {VALUES}: part {part!r} has no END line")
        out += [indent + l + "\n" if l else "\n" for l in parts[part].rstrip("\n").split("\n")]
        seen.add(part)
    missing = set(parts) - seen
    if missing:
        raise SystemExit(f"nats-values: {VALUES} lacks the parts {', '.join(sorted(missing))}")
    return "".join(out)


def conf_value(value, indent):
    """Writes `value` in the nats-server configuration syntax."""
    pad = "  " * indent
    if isinstance(value, dict):
        inner = "".join(f"{pad}  {key}: {conf_value(v, indent + 1)}\n" for key, v in value.items())
        return "{\n" + inner + pad + "}"
    if isinstance(value, list):
        inner = "".join(f"{pad}  {conf_value(v, indent + 1)}\n" for v in value)
        return "[\n" + inner + pad + "]"
    if isinstance(value, str) and value.startswith("$") and re.fullmatch(r"\$[A-Z_][A-Z0-9_]*", value):
        return value  # a variable, unquoted
    return json.dumps(value)


def accounts_conf(permissions):
    """Returns the account as nats-server configuration."""
    account = {
        permissions["account"]: {
            "jetstream": "enabled",
            "users": users(permissions, lambda s: f"${s['passwordVariable']}"),
        }
    }
    return (
        "# The weigrid account, from charts/weigrid/nats/permissions.yaml (scripts/nats-values.py).\n"
        f"accounts: {conf_value(account, 0)}\n"
    )


def test_server(permissions, nats_server):
    """Has `nats_server` check a configuration including the account."""
    with tempfile.TemporaryDirectory(prefix="weigrid-nats-") as directory:
        with open(os.path.join(directory, "accounts.conf"), "w", encoding="utf-8") as file:
            file.write(accounts_conf(permissions))
        server = os.path.join(directory, "server.conf")
        with open(server, "w", encoding="utf-8") as file:
            file.write(f'listen: "127.0.0.1:-1"\njetstream {{ store_dir: {json.dumps(directory)} }}\ninclude "accounts.conf"\n')
        env = {s["passwordVariable"]: f"placeholder-{name}" for name, s in permissions["services"].items()}
        outcome = subprocess.run([nats_server, "-t", "-c", server], env=env, capture_output=True, text=True, check=False)
        print((outcome.stdout + outcome.stderr).strip())
        return 0 if outcome.returncode == 0 else 1


def main(argv):
    command = argv[1] if len(argv) > 1 else "--check"
    permissions = load_permissions()
    if command == "accounts":
        sys.stdout.write(accounts_conf(permissions))
        return 0
    if command == "--test-server" and len(argv) == 3:
        return test_server(permissions, argv[2])
    if command not in ("--check", "--write"):
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    with open(VALUES, encoding="utf-8") as file:
        current = file.read()
    wanted = regenerate(current, generated_parts(permissions))
    if command == "--write":
        if wanted != current:
            with open(VALUES, "w", encoding="utf-8") as file:
                file.write(wanted)
            print(f"nats-values: rewrote {VALUES}")
        return 0
    if wanted != current:
        sys.stdout.writelines(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                wanted.splitlines(keepends=True),
                fromfile=f"{VALUES} (now)",
                tofile=f"{VALUES} (from permissions.yaml)",
            )
        )
        print("nats-values: values.yaml is not what permissions.yaml gives; run scripts/nats-values.py --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
