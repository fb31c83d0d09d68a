#!/usr/bin/env bash
# Terraform checks CI runs (make test-terraform), offline where the machine
# ships a provider mirror:
#   1. terraform fmt -check over modules/ and terraform/
#   2. every module under modules/ (and their nested modules/*/modules/*) and the
#      composition module terraform/stack:
#      init, validate, terraform test (tests are mandatory)
#   3. every environment under terraform/environments/: init (no backend), validate
# Stops at the first failure and says which step and directory failed.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo_root="$PWD"

export TF_IN_AUTOMATION=1
export TF_INPUT=0
TF_CLI_CONFIG_FILE="$(local/tools/terraform-cli-config.sh)"
export TF_CLI_CONFIG_FILE
# A filesystem mirror is linked into each .terraform directory as it is; only a
# registry download (no mirror) is worth sharing between directories.
if [ ! -s "$TF_CLI_CONFIG_FILE" ] && [ -z "${TF_PLUGIN_CACHE_DIR:-}" ]; then
  export TF_PLUGIN_CACHE_DIR="$repo_root/.tfcli/plugin-cache"
  mkdir -p "$TF_PLUGIN_CACHE_DIR"
fi

steps=0
current=""
on_exit() {
  local status=$?
  if [ "$status" -ne 0 ]; then
    echo "terraform-tests: FAILED at: ${current:-setup} (exit $status)" >&2
  fi
}
trap on_exit EXIT

step() {
  current="$1"
  steps=$((steps + 1))
  echo
  echo "==> $current"
}

# Runs terraform in a directory, printing its output only when it fails (init is chatty).
quiet_terraform() {
  local dir="$1"
  shift
  local output
  if ! output="$(terraform -chdir="$dir" "$@" -no-color 2>&1)"; then
    echo "$output" >&2
    return 1
  fi
}

has_tf_files() {
  compgen -G "$1/*.tf" >/dev/null
}

if [ ! -f dist/manifest.json ]; then
  step "build the Lambda artifacts (dist/manifest.json is missing; the environments read it)"
  make --no-print-directory build
fi

step "terraform fmt -check -recursive (modules/, terraform/)"
terraform fmt -check -recursive -diff -no-color modules
terraform fmt -check -recursive -diff -no-color terraform

modules=0
module_tests=0
for dir in modules/*/ modules/*/modules/*/ terraform/stack/; do
  dir="${dir%/}"
  [ -d "$dir" ] || continue # an unmatched glob stays literal
  has_tf_files "$dir" || continue
  modules=$((modules + 1))

  step "$dir: init + validate"
  quiet_terraform "$dir" init -backend=false -input=false
  terraform -chdir="$dir" validate -no-color

  step "$dir: terraform test"
  if ! compgen -G "$dir/tests/*.tftest.hcl" >/dev/null; then
    echo "$dir has no tests/*.tftest.hcl: every module must be tested" >&2
    exit 1
  fi
  output="$(terraform -chdir="$dir" test -no-color 2>&1)" || {
    echo "$output"
    exit 1
  }
  echo "$output" | grep -E '^tests/.*\.\.\. (pass|fail)$|^(Success|Failure)' || true
  passed="$(echo "$output" | sed -nE 's/^Success! ([0-9]+) passed.*/\1/p')"
  module_tests=$((module_tests + ${passed:-0}))
done
if [ "$modules" -lt 2 ]; then
  echo "expected the modules under modules/ and terraform/stack, found $modules" >&2
  exit 1
fi

environments=0
for dir in terraform/environments/*/; do
  dir="${dir%/}"
  has_tf_files "$dir" || continue
  environments=$((environments + 1))

  step "$dir: init (no backend) + validate"
  quiet_terraform "$dir" init -backend=false -input=false
  terraform -chdir="$dir" validate -no-color
done

current=""
echo
echo "terraform-tests: OK: fmt, $modules modules (modules/*, terraform/stack) validated with $module_tests test runs passed, $environments environments validated ($steps steps)"
