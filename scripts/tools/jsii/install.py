#!/usr/bin/env python3
"""Installs the jsii kernel runtime and an assembly closure at pinned versions.

Usage: install.py PACKAGES_TSV DEST

For each line of PACKAGES_TSV (name, version, sha512 integrity, jsii dependencies) the npm
tarball is fetched with `npm pack` (the registry mirror lacks @jsii/runtime's own dependencies,
so `npm install` is not an option; the runtime's webpack build is self-contained) and its
integrity checked against the pinned one. Into DEST it writes:

  tarballs/<file>.tgz          every package, as the registry served it
  runtime/                     @jsii/runtime unpacked (webpack/lib/program.js is the kernel)
  assemblies/<name>.jsii[.gz]  each package's type model, for the binding generator
  package-cache/               the kernel's extracted-tarball cache, warmed once here
  node_modules/<name>          links into that cache: the closure as plain Node.js packages
                               (run with `node --preserve-symlinks`, NODE_PATH=node_modules),
                               for JavaScript apps compared with the Rust ones, and on
                               the Rust host's kernel NODE_PATH for type-less packages
  manifest.json                the above with the load order and each package's type
                               count; read by crates/jsii

Idempotent: a tarball whose integrity already matches is not fetched again.
"""

import base64
import glob
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time

RUNTIME = "@jsii/runtime"


def log(msg):
    print(f"[tools] jsii: {msg}", file=sys.stderr, flush=True)


def integrity(path):
    h = hashlib.sha512()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha512-" + base64.b64encode(h.digest()).decode()


def read_pins(path):
    pins = []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) != 4:
                sys.exit(f"{path}:{n}: expected 4 tab-separated columns, got {len(cols)}")
            name, version, sri, deps = cols
            if not sri.startswith("sha512-"):
                sys.exit(f"{path}:{n}: integrity must be sha512-..., got {sri!r}")
            deps = [] if deps == "-" else deps.split(",")
            seen = {p["name"] for p in pins}
            for d in deps:
                if d not in seen:
                    sys.exit(f"{path}:{n}: {name} depends on {d}, which is not listed before it")
            pins.append({"name": name, "version": version, "integrity": sri, "dependencies": deps})
    if not pins or pins[0]["name"] != RUNTIME:
        sys.exit(f"{path}: the first package must be {RUNTIME}")
    return pins


def tarball_name(name, version):
    # npm pack's naming: scope without '@', '/' -> '-'.
    return f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"


def fetch(pin, tarballs):
    dest = os.path.join(tarballs, tarball_name(pin["name"], pin["version"]))
    if os.path.exists(dest) and integrity(dest) == pin["integrity"]:
        return dest
    log(f"fetching {pin['name']}@{pin['version']}")
    with tempfile.TemporaryDirectory(dir=tarballs) as tmp:
        out = subprocess.run(
            ["npm", "pack", f"{pin['name']}@{pin['version']}", "--pack-destination", tmp,
             "--json", "--silent"],
            check=True, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL,
        ).stdout
        filename = json.loads(out)[0]["filename"]
        got = integrity(os.path.join(tmp, filename))
        if got != pin["integrity"]:
            sys.exit(f"{pin['name']}@{pin['version']}: integrity {got} is not the pinned {pin['integrity']}")
        os.replace(os.path.join(tmp, filename), dest)
    return dest


def safe_members(tar, prefix):
    for m in tar.getmembers():
        if not m.name.startswith(prefix) or ".." in m.name.split("/"):
            continue
        if not (m.isfile() or m.isdir()):
            continue
        yield m


def unpack_runtime(tgz, dest):
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(tgz) as tar:
        for m in safe_members(tar, "package/"):
            target = os.path.join(tmp, m.name[len("package/"):])
            if m.isdir():
                os.makedirs(target, exist_ok=True)
                continue
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with tar.extractfile(m) as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
    if not os.path.isfile(os.path.join(tmp, "webpack/lib/program.js")):
        sys.exit(f"{tgz}: no webpack/lib/program.js in @jsii/runtime")
    shutil.rmtree(dest, ignore_errors=True)
    os.replace(tmp, dest)


def extract_assembly(tgz, name, assemblies):
    """Copies the package's .jsii.gz (or plain .jsii) out; returns its path or None."""
    base = name.lstrip("@").replace("/", "-")
    with tarfile.open(tgz) as tar:
        names = set(tar.getnames())
        for member, suffix in (("package/.jsii.gz", ".jsii.gz"), ("package/.jsii", ".jsii")):
            if member not in names:
                continue
            data = tar.extractfile(member).read()
            if suffix == ".jsii" and b'"jsii/file-redirect"' in data[:200]:
                continue  # only a pointer to .jsii.gz
            path = os.path.join(assemblies, base + suffix)
            with open(path + ".tmp", "wb") as out:
                out.write(data)
            os.replace(path + ".tmp", path)
            return path
    return None


def warm_cache(dest, manifest):
    """Loads the closure once through the runtime's stdin/stdout shim, so that the kernel's
    package cache holds the extracted tarballs and the runtime type index it builds for each
    (in a worker thread, after the first load). Without the index every kernel parses
    aws-cdk-lib's 87 MB type model at load: seconds instead of tens of milliseconds."""
    cache = os.path.join(dest, "package-cache")
    env = dict(os.environ, JSII_RUNTIME_PACKAGE_CACHE_ROOT=cache)
    proc = subprocess.Popen(
        ["node", os.path.join(dest, "runtime/webpack/bin/jsii-runtime.js")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True, env=env,
    )
    try:
        for p in manifest["packages"]:
            proc.stdin.write(json.dumps({"api": "load", "name": p["name"], "version": p["version"],
                                         "tarball": os.path.join(dest, p["tarball"])}) + "\n")
            proc.stdin.flush()
            while True:
                line = proc.stdout.readline()
                if not line:
                    sys.exit(f"warming the kernel's package cache: the kernel exited loading {p['name']}")
                reply = json.loads(line)
                if "hello" in reply:
                    continue
                if "ok" not in reply:
                    sys.exit(f"warming the kernel's package cache: loading {p['name']}: {line}")
                # crates/jsii leaves type-less packages to node_modules instead of loading them.
                p["types"] = reply["ok"].get("types")
                break
        # The index worker runs while the kernel lives: wait for every package's index.
        pending = [os.path.join(cache, p["name"], p["version"]) for p in manifest["packages"]]
        deadline = time.time() + 300
        while pending and time.time() < deadline:
            pending = [d for d in pending if not glob.glob(os.path.join(d, "*", ".jsii.runtime.v1.json"))]
            time.sleep(0.2)
        if pending:
            log(f"warning: no runtime type index was built for {pending}; loads stay slow")
        proc.stdin.write(json.dumps({"exit": 0}) + "\n")
        proc.stdin.close()
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def link_node_modules(dest, manifest):
    """node_modules/<name> -> the kernel's cache entry of each package (one copy on disk)."""
    cache = os.path.join(dest, "package-cache")
    tmp = os.path.join(dest, "node_modules.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    for p in manifest["packages"]:
        entries = glob.glob(os.path.join(cache, p["name"], p["version"], "*", "package.json"))
        if len(entries) != 1:
            sys.exit(f"expected one cache entry of {p['name']}@{p['version']}, found {entries}")
        link = os.path.join(tmp, p["name"])
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.dirname(entries[0]), link)
    final = os.path.join(dest, "node_modules")
    shutil.rmtree(final, ignore_errors=True)
    os.replace(tmp, final)


def main():
    pins_path, dest = sys.argv[1], os.path.abspath(sys.argv[2])
    pins = read_pins(pins_path)
    tarballs = os.path.join(dest, "tarballs")
    assemblies = os.path.join(dest, "assemblies")
    os.makedirs(tarballs, exist_ok=True)
    os.makedirs(assemblies, exist_ok=True)

    runtime, packages = pins[0], pins[1:]
    unpack_runtime(fetch(runtime, tarballs), os.path.join(dest, "runtime"))
    manifest = {
        "runtime": {"version": runtime["version"], "dir": "runtime"},
        "packages": [],
        "assemblies": {},
    }
    for pin in packages:
        tgz = fetch(pin, tarballs)
        manifest["packages"].append({
            "name": pin["name"],
            "version": pin["version"],
            "tarball": os.path.relpath(tgz, dest),
            "integrity": pin["integrity"],
            "dependencies": pin["dependencies"],
        })
        model = extract_assembly(tgz, pin["name"], assemblies)
        if model:
            manifest["assemblies"][pin["name"]] = os.path.relpath(model, dest)
    warm_cache(dest, manifest)
    link_node_modules(dest, manifest)
    manifest["node_modules"] = "node_modules"
    path = os.path.join(dest, "manifest.json")
    with open(path + ".tmp", "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
