# shellcheck shell=bash
# The jsii kernel runtime (@jsii/runtime's self-contained webpack build) and the aws-cdk-lib
# assembly closure, pinned with their registry integrity hashes in scripts/tools/jsii/
# packages.tsv, into $TOOLS_HOME/jsii/ with a manifest.json that crates/jsii (the Rust jsii
# host), its tests and the binding generator read. Sourced by ensure.sh.
jsii_sum=$(cat "$here/jsii/packages.tsv" "$here/jsii/install.py" | sha256sum | cut -c1-16)
# The node_modules links point into the kernel's package cache, which the kernel prunes after
# 30 days unused: reinstall (re-warm) when they dangle.
if ! stamp_ok jsii "$jsii_sum" || [ ! -f "$TOOLS_HOME/jsii/manifest.json" ] \
  || [ ! -f "$TOOLS_HOME/jsii/node_modules/aws-cdk-lib/package.json" ]; then
  log "installing the jsii runtime and the aws-cdk-lib closure"
  python3 "$here/jsii/install.py" "$here/jsii/packages.tsv" "$TOOLS_HOME/jsii"
  stamp_set jsii "$jsii_sum"
fi
