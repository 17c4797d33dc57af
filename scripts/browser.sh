#!/usr/bin/env bash
# Make sure Debian's `chromium` is present for the page's browser tests (Playwright drives
# /usr/bin/chromium; nothing downloads a browser). Installed here when missing, as root.
set -euo pipefail

log() { printf 'browser: %s\n' "$*" >&2; }

if [[ -x /usr/bin/chromium ]]; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  log "chromium missing and not root: install the Debian package 'chromium' yourself"; exit 1
fi
log "installing chromium from Debian packages"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
test -x /usr/bin/chromium
