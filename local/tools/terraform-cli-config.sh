#!/usr/bin/env bash
# Writes a Terraform CLI configuration that installs providers from the
# filesystem mirror shipped with the machine image (no registry access here),
# and prints its path: export TF_CLI_CONFIG_FILE="$(local/tools/terraform-cli-config.sh)".
# Without a mirror the configuration is empty, so Terraform uses the registry.
set -euo pipefail
repo_root="$(cd "$(dirname "$0")/../.." && pwd)"
config_dir="$repo_root/.tfcli"
config_file="$config_dir/terraform.rc"
mkdir -p "$config_dir"

mirror="${TF_PROVIDER_MIRROR:-}"
if [ -z "$mirror" ]; then
  for root in /opt /usr/share /usr/local/share /usr/local/lib /root /home /var /; do
    provider=$(find "$root" -name 'terraform-provider-aws_*' -path '*registry.terraform.io/hashicorp/aws/*' 2>/dev/null | head -n 1 || true)
    if [ -n "$provider" ]; then
      mirror="${provider%%/registry.terraform.io/*}"
      break
    fi
  done
fi

if [ -n "$mirror" ]; then
  cat >"$config_file" <<RC
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
RC
  echo "terraform-cli-config: provider mirror $mirror" >&2
else
  : >"$config_file"
  echo "terraform-cli-config: no provider mirror found, using the registry" >&2
fi
echo "$config_file"
