#!/usr/bin/env bash
# Install the Debian packages cloudlet uses, when they are missing (needs root or sudo).
#   scripts/system-deps.sh venv   what creating the virtualenv needs: python3 with its venv module
#   scripts/system-deps.sh run    what `cloudlet up` needs: bubblewrap (function sandboxes), nodejs
#   scripts/system-deps.sh test   the above, postgresql (the tests of the PostgreSQL store) and the
#                                 toolchain npm aws-lambda-ric compiles itself with when the tests install it
set -euo pipefail
purpose=${1:-test}
packages=()
python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  packages+=(python3 python3-venv)
elif ! "$python" -c "import ensurepip" >/dev/null 2>&1; then
  packages+=(python3-venv)  # Debian keeps `python3 -m venv`'s pip bootstrap in its own package
fi
if [ "$purpose" != venv ]; then
  command -v bwrap >/dev/null 2>&1 || packages+=(bubblewrap)
  command -v node >/dev/null 2>&1 || packages+=(nodejs)
fi
if [ "$purpose" = test ]; then
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages+=(postgresql)
  # aws-lambda-ric's install builds curl (autoreconf, libtoolize) and aws-lambda-cpp (cmake), then a
  # node-gyp addon (make, g++, python3)
  command -v npm >/dev/null 2>&1 || packages+=(npm)
  command -v autoreconf >/dev/null 2>&1 || packages+=(autoconf)
  command -v automake >/dev/null 2>&1 || packages+=(automake)
  command -v libtoolize >/dev/null 2>&1 || packages+=(libtool)
  command -v cmake >/dev/null 2>&1 || packages+=(cmake)
  command -v make >/dev/null 2>&1 || packages+=(make)
  command -v g++ >/dev/null 2>&1 || packages+=(g++)
  command -v xz >/dev/null 2>&1 || packages+=(xz-utils)
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
