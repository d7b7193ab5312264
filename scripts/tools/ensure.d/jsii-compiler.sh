# shellcheck shell=bash
# The npm jsii compiler (with the typescript it requires), pinned by
# scripts/tools/jsii-compiler/package-lock.json: crates/jsii-compliance compiles its TypeScript
# fixture library with it into a .jsii assembly at test time. Sourced by ensure.sh.
jsii_compiler_sum=$(cat "$here/jsii-compiler/package.json" "$here/jsii-compiler/package-lock.json" | sha256sum | cut -c1-16)
if ! stamp_ok jsii-compiler "$jsii_compiler_sum" || [ ! -x "$TOOLS_HOME/jsii-compiler/node_modules/.bin/jsii" ]; then
  log "installing the jsii compiler"
  rm -rf "$TOOLS_HOME/jsii-compiler" && mkdir -p "$TOOLS_HOME/jsii-compiler"
  cp "$here/jsii-compiler/package.json" "$here/jsii-compiler/package-lock.json" "$TOOLS_HOME/jsii-compiler/"
  (cd "$TOOLS_HOME/jsii-compiler" && npm ci --silent --no-audit --no-fund) >&2
  stamp_set jsii-compiler "$jsii_compiler_sum"
fi
ln -sf "$TOOLS_HOME/jsii-compiler/node_modules/.bin/jsii" "$bin/jsii"
