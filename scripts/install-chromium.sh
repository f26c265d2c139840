#!/usr/bin/env bash
# Installs Debian's chromium for the browser tests; Playwright's own browser download does not
# work on machines without internet access, so the tests drive the system package instead.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  if command -v sudo >/dev/null; then SUDO="sudo"; else
    echo "chromium is missing and this user cannot install it; browser tests will be skipped" >&2
    exit 0
  fi
fi
echo "installing Debian's chromium for the browser tests..."
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
$SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
