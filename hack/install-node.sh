#!/usr/bin/env bash
# install-node.sh installs the Debian packages the one-node test cluster
# needs (hack/build-node.sh builds the Kubernetes half): containerd, runc, the
# CNI plugins, iptables, conntrack and iproute2. Each is checked with dpkg,
# not with a command on PATH, so a machine where a tool was once copied in by
# hand still gets the package; idempotent.
set -euo pipefail

pkgs=(containerd runc containernetworking-plugins iptables conntrack iproute2 util-linux)
missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
		missing+=("$p")
	fi
done
if [ "${#missing[@]}" -eq 0 ]; then
	exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
	SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
echo "install-node: installing ${missing[*]}" >&2
$SUDO apt-get update >&2
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" >&2
