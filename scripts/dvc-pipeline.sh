#!/usr/bin/env bash
# Run the DVC pipeline by hand where the project tree is read-only (a pod of the image;
# scheduled runs go through run_pipeline): copy the tree into a writable WORKSPACE, point
# DVC at the S3 remote, reproduce, push the results.
#
#   scripts/dvc-pipeline.sh WORKSPACE
#
# Environment: DVC_REMOTE_URL (e.g. s3://dvc), AWS_ENDPOINT_URL for MinIO (optional),
# AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, and the FOOTCAST_* settings the stages read.
set -euo pipefail

[[ $# -eq 1 ]] || { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
workspace=$1
source_dir=$(cd "$(dirname "$0")/.." && pwd)
: "${DVC_REMOTE_URL:?DVC_REMOTE_URL must name the DVC remote}"

cp -R "$source_dir/." "$workspace/"
chmod -R u+w "$workspace"
cd "$workspace"
[[ -d .dvc ]] || dvc init --no-scm --quiet
# the image carries no git history: DVC tracks versions through its remote only
dvc config --local core.no_scm true
dvc remote add --local --force --default storage "$DVC_REMOTE_URL"
if [[ -n ${AWS_ENDPOINT_URL:-} ]]; then
  dvc remote modify --local storage endpointurl "$AWS_ENDPOINT_URL"
fi
dvc repro --pull
dvc push
