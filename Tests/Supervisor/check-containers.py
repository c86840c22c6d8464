#!/usr/bin/env python3
"""Checks deploy/compose/compose.yaml and deploy/docker/Dockerfile without a Docker engine.

    check-containers.py ROOT BIN_DIR

- the compose file, plain and with replay.env, passes `docker-compose config` (Debian's 1.29);
- every command and healthcheck of an AlphaPulse service is a real subcommand of its binary
  (`<binary> <subcommand> --help` exits 0);
- every ALPHAPULSE_* variable is a configuration key, the _FILE form of a secret key, or
  ALPHAPULSE_CONFIG, and a `${VAR:-default}` given for one equals the key's own default;
- ingest and inference scale (deploy.replicas, no container_name, no fixed host port), the
  gateway publishes on 127.0.0.1 by default, PostgreSQL and Redis sit only on an internal
  network, and the services wait for a successful migration and healthy stores;
- the Dockerfile's runtime packages cover what the binaries link (readelf NEEDED, resolved
  with ldd, mapped to packages with dpkg -S), the Swift runtime apart (linked statically in
  the image).
Prints each problem and exits 1 if there was any.
"""
import os
import re
import subprocess
import sys

import yaml

ROOT, BIN = sys.argv[1], sys.argv[2]
COMPOSE = os.path.join(ROOT, "deploy/compose/compose.yaml")
DOCKERFILE = os.path.join(ROOT, "deploy/docker/Dockerfile")
problems = []


def problem(text):
    problems.append(text)
    print("problem: " + text)


def compose_config(*extra):
    result = subprocess.run(["docker-compose", *extra, "-f", COMPOSE, "config"], capture_output=True, text=True)
    if result.returncode != 0:
        problem("docker-compose %s config failed: %s" % (" ".join(extra), result.stderr.strip()))
        return None
    return yaml.safe_load(result.stdout)


def binary_has(binary, subcommand):
    """Whether `binary --help` lists `subcommand` (`X sub --help` is no test: ArgumentParser
    answers an unknown subcommand's --help with the root's, and exit 0)."""
    path = os.path.join(BIN, binary)
    if not os.access(path, os.X_OK):
        problem("%s is not built in %s" % (binary, BIN))
        return False
    listing = subprocess.run([path, "--help"], capture_output=True, text=True).stdout
    section = listing.split("SUBCOMMANDS:", 1)[1] if "SUBCOMMANDS:" in listing else ""
    return re.search(r"^\s+%s(\s|$)" % re.escape(subcommand), section, re.M) is not None


# Variables the services read, with their defaults.
env_result = subprocess.run([os.path.join(BIN, "alphapulse-gateway"), "config", "--environment"], capture_output=True, text=True)
if env_result.returncode != 0:
    sys.exit("alphapulse-gateway config --environment failed: " + env_result.stderr)
known = dict(line.split("=", 1) for line in env_result.stdout.splitlines() if "=" in line)

plain = compose_config()
replay = compose_config("--env-file", os.path.join(ROOT, "deploy/compose/replay.env"))
for label, config in (("plain", plain), ("replay", replay)):
    if config is None:
        continue
    services = config.get("services", {})
    if label == "replay" and "replay" not in services:
        problem("the replay profile does not add the replay service")
    for name, service in services.items():
        commands = []
        if isinstance(service.get("command"), list):
            commands.append(service["command"])
        test = (service.get("healthcheck") or {}).get("test")
        if isinstance(test, list) and test[:1] == ["CMD"]:
            commands.append(test[1:])
        for command in commands:
            if command and command[0].startswith("alphapulse-"):
                if len(command) < 2 or not binary_has(command[0], command[1]):
                    problem("%s: `%s` is not a subcommand of %s" % (name, " ".join(command[:2]), command[0]))
        for variable in (service.get("environment") or {}):
            if variable.startswith("ALPHAPULSE_") and variable not in known:
                problem("%s: %s is no configuration key, secret _FILE or ALPHAPULSE_CONFIG" % (name, variable))
        if name in ("ingest", "inference"):
            if (service.get("deploy") or {}).get("replicas", 1) < 2:
                problem("%s: deploy.replicas is not set above 1" % name)
            if "container_name" in service:
                problem("%s: a container_name stops it from scaling" % name)
            for port in service.get("ports", []):
                if isinstance(port, dict) and port.get("published") or isinstance(port, str) and re.match(r"^(\S+:)?\d+:\d+", port):
                    problem("%s: a fixed host port stops it from scaling" % name)
        if name in ("postgres", "redis"):
            networks = list(service.get("networks") or {})
            if networks != ["internal"]:
                problem("%s: on networks %s, not only the internal one" % (name, networks))
            if "ports" in service:
                problem("%s: publishes a port" % name)
            if "healthcheck" not in service:
                problem("%s: no healthcheck" % name)
        if name in ("symbols", "ingest", "inference", "scheduler", "gateway"):
            depends = service.get("depends_on") or {}
            if (depends.get("migrate") or {}).get("condition") != "service_completed_successfully":
                problem("%s: does not wait for the migration to succeed" % name)
            for store in ("postgres", "redis"):
                if (depends.get(store) or {}).get("condition") != "service_healthy":
                    problem("%s: does not wait for a healthy %s" % (name, store))
            if "healthcheck" not in service:
                problem("%s: no healthcheck" % name)
    if label == "plain":
        gateway_ports = services.get("gateway", {}).get("ports", [])
        def loopback_8080(port):
            if isinstance(port, dict):
                return port.get("host_ip") == "127.0.0.1" and str(port.get("target")) == "8080"
            return re.match(r"^127\.0\.0\.1:\d+:8080(/tcp)?$", str(port)) is not None
        if not any(loopback_8080(p) for p in gateway_ports):
            problem("gateway: port 8080 is not published on 127.0.0.1 by default (%s)" % gateway_ports)
        if not (config.get("networks", {}).get("internal") or {}).get("internal"):
            problem("the internal network is not internal")

# Defaults written into the compose file equal the keys' own.
with open(COMPOSE) as handle:
    for variable, default in re.findall(r"(ALPHAPULSE_\w+): \$\{\w+:-([^}]*)\}", handle.read()):
        if variable in known and known[variable] != default:
            problem("%s defaults to %s in compose.yaml but to %s in the configuration" % (variable, default, known[variable]))

# The Dockerfile's runtime packages.
with open(DOCKERFILE) as handle:
    dockerfile = handle.read()
runtime = dockerfile[dockerfile.index("AS runtime"):]
install = re.search(r"--no-install-recommends((?:\s|\\)+(?:[a-z0-9][a-z0-9.+-]*(?:\s|\\)+)+)&&", runtime)
packages = set(install.group(1).replace("\\", " ").split()) if install else set()
if not packages:
    problem("no apt-get install in the Dockerfile's runtime stage")
base = {"libc6", "libgcc-s1", "libstdc++6"}  # in every Debian image (apt needs them)
for name in ("symbols", "ingest", "inference", "scheduler", "gateway", "replay"):
    path = os.path.join(BIN, "alphapulse-" + name)
    if not os.access(path, os.X_OK):
        problem("alphapulse-%s is not built in %s" % (name, BIN))
        continue
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[([^\]]+)\]", subprocess.run(["readelf", "-d", path], capture_output=True, text=True).stdout)
    resolved = dict(re.findall(r"^\s*(\S+) => (\S+)", subprocess.run(["ldd", path], capture_output=True, text=True).stdout, re.M))
    for library in needed:
        location = resolved.get(library)
        if location is None:
            if not library.startswith("ld-linux"):
                problem("alphapulse-%s: %s does not resolve" % (name, library))
            continue
        if "/swift/" in location:
            continue  # the Swift runtime: --static-swift-stdlib in the image
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(location)], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(["dpkg", "-S", location], capture_output=True, text=True)
        package = owner.stdout.split(":")[0].strip() if owner.returncode == 0 else None
        if package is None:
            problem("alphapulse-%s: no Debian package owns %s" % (name, location))
        elif package not in packages and package not in base:
            problem("alphapulse-%s links %s (package %s), which the runtime stage does not install" % (name, library, package))

print("containers: %d problems" % len(problems))
sys.exit(1 if problems else 0)
