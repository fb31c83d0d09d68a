#!/usr/bin/env bash
# Terraform checks CI runs (make test-terraform), offline where the machine
# ships a provider mirror:
#   1. terraform fmt -check over modules/ and terraform/
#   2. every module under modules/ (and their nested modules/*/modules/*) and the
#      composition module terraform/stack: init, validate, terraform test (tests
#      are mandatory; each module's tests also plan its examples/)
#   3. every environment under terraform/environments/: init (no backend), validate
# The inits run one after another; validate and test run TERRAFORM_TEST_JOBS
# directories at a time (default: one per core), each into its own log, printed
# whole for a failed directory. Says which step and directories failed.
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
on_exit_status() {
  if [ "$1" -ne 0 ]; then
    echo "terraform-tests: FAILED at: ${current:-setup} (exit $1)" >&2
  fi
}
trap 'on_exit_status $?' EXIT

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

# Directories to check: the modules (and their nested modules), the composition
# module, then the environments (validate only).
module_dirs=()
for dir in modules/*/ modules/*/modules/*/ terraform/stack/; do
  dir="${dir%/}"
  [ -d "$dir" ] || continue # an unmatched glob stays literal
  has_tf_files "$dir" || continue
  if ! compgen -G "$dir/tests/*.tftest.hcl" >/dev/null; then
    echo "$dir has no tests/*.tftest.hcl: every module must be tested" >&2
    exit 1
  fi
  module_dirs+=("$dir")
done
if [ "${#module_dirs[@]}" -lt 2 ]; then
  echo "expected the modules under modules/ and terraform/stack, found ${#module_dirs[@]}" >&2
  exit 1
fi
environment_dirs=()
for dir in terraform/environments/*/; do
  dir="${dir%/}"
  has_tf_files "$dir" || continue
  environment_dirs+=("$dir")
done

# init one directory after another: a shared plugin cache (no mirror) is not safe
# for concurrent inits, and with the mirror each init takes seconds.
for dir in "${module_dirs[@]}" "${environment_dirs[@]}"; do
  step "$dir: init"
  quiet_terraform "$dir" init -backend=false -input=false
done

# validate + test run in parallel, TERRAFORM_TEST_JOBS at a time (default: one per
# core); each directory writes its own log, printed whole once all have finished,
# so the outputs stay apart.
jobs="${TERRAFORM_TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}"
logs="$(mktemp -d)"
trap 'status=$?; rm -rf "$logs"; on_exit_status "$status"' EXIT

check_dir() { # dir, kind (module|environment): exit status = the first failure
  local dir="$1" kind="$2"
  terraform -chdir="$dir" validate -no-color || return 1
  [ "$kind" = module ] || return 0
  terraform -chdir="$dir" test -no-color
}

step "validate + test ${#module_dirs[@]} modules, validate ${#environment_dirs[@]} environments ($jobs at a time)"
started=$SECONDS
declare -A job_dir=()
run_one() { # dir kind
  local log="$logs/$(echo "$1" | tr / _).log"
  (
    start=$SECONDS
    if check_dir "$1" "$2" >"$log" 2>&1; then status=0; else status=$?; fi
    echo "[$1: $((SECONDS - start)) s]" >>"$log"
    exit "$status"
  ) &
  job_dir[$!]="$1"
}
failed=()
reap_one() {
  local pid status=0
  wait -n -p pid || status=$?
  [ "$status" -eq 0 ] || failed+=("${job_dir[$pid]}")
  unset "job_dir[$pid]"
}
for entry in "${module_dirs[@]/%/ module}" "${environment_dirs[@]/%/ environment}"; do
  while [ "${#job_dir[@]}" -ge "$jobs" ]; do reap_one; done
  run_one ${entry}
done
while [ "${#job_dir[@]}" -gt 0 ]; do reap_one; done

module_tests=0
for dir in "${module_dirs[@]}" "${environment_dirs[@]}"; do
  log="$logs/$(echo "$dir" | tr / _).log"
  echo
  echo "==> $dir"
  if printf '%s\n' "${failed[@]}" | grep -qx -- "$dir"; then
    cat "$log"
  else
    grep -E '^tests/.*\.\.\. (pass|fail)$|^(Success|Failure)|^Success! The configuration is valid|^\[' "$log" || true
    passed="$(sed -nE 's/^Success! ([0-9]+) passed.*/\1/p' "$log")"
    module_tests=$((module_tests + ${passed:-0}))
  fi
done
echo
echo "terraform-tests: validate + test took $((SECONDS - started)) s wall"
if [ "${#failed[@]}" -gt 0 ]; then
  current="validate/test of: ${failed[*]}"
  exit 1
fi
modules="${#module_dirs[@]}"
environments="${#environment_dirs[@]}"

current=""
echo
echo "terraform-tests: OK: fmt, $modules modules (modules/*, terraform/stack) validated with $module_tests test runs passed, $environments environments validated ($steps steps)"
