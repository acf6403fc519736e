#!/usr/bin/env bash
# Install the Debian packages cloudlet's tests use, when they are missing (needs root or sudo).
set -euo pipefail
packages=()
command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
[ ${#packages[@]} -eq 0 ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
echo "installing Debian packages: ${packages[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
