# shellcheck shell=bash
# The AWS CDK CLI (npm aws-cdk), pinned by scripts/tools/cdk-cli/package-lock.json:
# scripts/ops/deploy-emulator bootstraps and deploys the generated cloud assemblies with it
# (the CloudFormation path's own tool, tested against the AWS API emulator). Sourced by
# ensure.sh. `$bin/cdk` is a wrapper rather than a bare link so that telemetry is off
# wherever it runs (the CLI otherwise tries to send it, and these machines reach only the
# package registries).
cdk_cli_sum=$(cat "$here/cdk-cli/package.json" "$here/cdk-cli/package-lock.json" | sha256sum | cut -c1-16)
if ! stamp_ok cdk-cli "$cdk_cli_sum" || [ ! -x "$TOOLS_HOME/cdk-cli/node_modules/.bin/cdk" ]; then
  log "installing the AWS CDK CLI"
  rm -rf "$TOOLS_HOME/cdk-cli" && mkdir -p "$TOOLS_HOME/cdk-cli"
  cp "$here/cdk-cli/package.json" "$here/cdk-cli/package-lock.json" "$TOOLS_HOME/cdk-cli/"
  (cd "$TOOLS_HOME/cdk-cli" && npm ci --silent --no-audit --no-fund) >&2
  stamp_set cdk-cli "$cdk_cli_sum"
fi
rm -f "$bin/cdk"
printf '#!/bin/sh\nexport CDK_DISABLE_CLI_TELEMETRY=true\nexec %s "$@"\n' \
  "$TOOLS_HOME/cdk-cli/node_modules/.bin/cdk" >"$bin/cdk"
chmod +x "$bin/cdk"
