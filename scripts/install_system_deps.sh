#!/usr/bin/env bash
# System packages the tests need that PyPI does not carry (PostgreSQL for the DuckLake
# catalog test, Chromium for the report's browser check). Installed only when missing,
# and only when we are root (CI and the dev machines are); otherwise the tests that need
# them say what to install.
set -u
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "note: not root; install these for the full test suite: ${need[*]}" >&2
  exit 0
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
