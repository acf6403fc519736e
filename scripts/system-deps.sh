#!/usr/bin/env bash
# Install the Debian packages cloudlet uses, when they are missing (needs root or sudo).
#   scripts/system-deps.sh run    what `cloudlet up` needs: bubblewrap (function sandboxes), nodejs
#   scripts/system-deps.sh test   the above and postgresql (the tests of the PostgreSQL store)
set -euo pipefail
purpose=${1:-test}
packages=()
command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
if [ "$purpose" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
fi
[ ${#packages[@]} -eq 0 ] && exit 0
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null 2>&1; then
    echo "cloudlet: please install these Debian packages: ${packages[*]}" >&2
    exit 1
  fi
  SUDO="sudo"
fi
echo "installing Debian packages: ${packages[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${packages[@]}" >/dev/null
