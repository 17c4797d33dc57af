#!/usr/bin/env bash
# Render a Kubernetes Secret from a SOPS secrets file, on stdout (pipe it to kubectl):
#
#   scripts/secrets-k8s.sh FILE [NAME [NAMESPACE]] | kubectl apply -f -
#
# NAME defaults to footcast-secrets (the chart's `secretName`), NAMESPACE to footcast. The
# decrypted values exist only in the pipe; nothing is written to disk. Keys as for
# scripts/secrets-env.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
[[ $# -ge 1 && $# -le 3 ]] || { sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
file=$1 name=${2:-footcast-secrets} namespace=${3:-footcast}

sops=$(command -v sops || echo "$here/.venv/bin/sops")
[[ -x $sops ]] || { echo "secrets-k8s: sops not found (make venv)" >&2; exit 1; }
if [[ -z ${SOPS_AGE_KEY_FILE:-} && -z ${SOPS_AGE_KEY:-} && $(basename "$file") == dev.enc.yaml ]]; then
  export SOPS_AGE_KEY_FILE=$here/secrets/dev-only.agekey
fi

plain=$("$sops" decrypt --output-type dotenv "$file")
cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: $name
  namespace: $namespace
  labels:
    app.kubernetes.io/part-of: footcast
type: Opaque
data:
YAML
while IFS= read -r line; do
  [[ -z $line || $line == \#* ]] && continue
  printf '  %s: %s\n' "${line%%=*}" "$(printf '%s' "${line#*=}" | base64 -w0)"
done <<<"$plain"
