# shellcheck shell=bash
# OCI image tools for infra-gen/tests/consumer_image.rs, pinned to Debian 12's versions. Sourced
# by ensure.sh.
# - skopeo (inspect, copy between an OCI layout and a registry), umoci (unpack a layout into a
#   root filesystem, rootless), bubblewrap (run that root filesystem unprivileged, as UID 1001,
#   read-only): installed with apt, since they need their shared libraries.
# - docker-registry (the CNCF distribution registry) only unpacked: the package's install
#   scripts would create a system user and start a service; the test runs
#   `docker-registry serve CONFIG` itself on a free loopback port.
oci_apt=(skopeo=1.9.3+ds1-1+b10 umoci=0.4.7+ds-3+b7 bubblewrap=0.8.0-2+deb12u1)
oci_missing=()
for oci_pv in "${oci_apt[@]}"; do
  [ "$(dpkg-query -W -f='${Version}' "${oci_pv%%=*}" 2>/dev/null)" = "${oci_pv#*=}" ] || oci_missing+=("$oci_pv")
done
if [ ${#oci_missing[@]} -gt 0 ]; then
  log "apt-get install ${oci_missing[*]}"
  if [ "$(id -u)" = 0 ]; then oci_sudo=(); else oci_sudo=(sudo); fi
  "${oci_sudo[@]}" apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive "${oci_sudo[@]}" apt-get install -y -qq --no-install-recommends "${oci_missing[@]}" >&2
fi
ln -sf /usr/bin/skopeo "$bin/skopeo"
ln -sf /usr/bin/umoci "$bin/umoci"
ln -sf /usr/bin/bwrap "$bin/bwrap"

docker_registry_deb=2.8.2+ds1-1
unpack_deb docker-registry "$docker_registry_deb" "docker-registry=$docker_registry_deb"
ln -sf "$TOOLS_HOME/docker-registry/usr/bin/docker-registry" "$bin/docker-registry"
