#!/usr/bin/env bash
# Regenerates crates/jsii-compliance/bindings/ (the fixture's typed Rust bindings) from the
# fixture sources: compiles both packages with the pinned jsii compiler (as the compliance test
# does) and runs jsii-bindgen on the two assemblies.
#
# The bindings crate is kept out of the workspace (root Cargo.toml `exclude`): it is generated
# code, linted and formatted by its generator's rules, not the workspace's. So its Cargo.toml
# spells out what a member would inherit from [workspace.package].
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
root=$(cd "$here/../.." && pwd)
tools=${TOOLS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/infra-gen-tools}
jsii="$tools/bin/jsii"
types=$(cd "$(dirname "$(readlink -f "$jsii")")/../.." && pwd)/@types/node
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pkg in base calc; do
  mkdir -p "$work/$pkg/lib"
  cp "$here/fixture/$pkg/package.json" "$work/$pkg/"
  cp "$here/fixture/$pkg/lib/"*.ts "$work/$pkg/lib/"
done
mkdir -p "$work/node_modules/@types" "$work/node_modules/@infra-gen-compliance"
ln -s "$types" "$work/node_modules/@types/node"
ln -s "$work/base" "$work/node_modules/@infra-gen-compliance/base"
(cd "$work/base" && "$jsii" >/dev/null)
(cd "$work/calc" && "$jsii" --strip-deprecated >/dev/null)
(cd "$root" && cargo run --quiet -p jsii-codegen --bin jsii-bindgen -- \
  "$work/calc/.jsii" "$work/base/.jsii" --out "$here/bindings" \
  --crate-name jsii-compliance-bindings \
  --dep 'jsii = { path = "../../jsii" }' \
  --dep 'serde_json = { version = "1", features = ["preserve_order"] }' \
  --dep 'chrono = { version = "0.4", default-features = false, features = ["std"] }')
sed -i \
  -e 's/^edition\.workspace = true$/edition = "2024"/' \
  -e 's/^rust-version\.workspace = true$/rust-version = "1.95"/' \
  -e 's/^license\.workspace = true$/license = "Apache-2.0"/' \
  -e 's/^publish\.workspace = true$/publish = false/' \
  "$here/bindings/Cargo.toml"
