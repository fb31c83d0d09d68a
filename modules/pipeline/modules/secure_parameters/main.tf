# SecureString parameters whose values never reach Terraform state.
#
# The value is a write-only argument (value_wo): Terraform sends the placeholder
# when it creates a parameter and stores neither it nor what operators put there
# later with `aws ssm put-parameter --overwrite`. The provider then reads no
# value back on refresh (has_value_wo), so nothing decrypted lands in state and
# a changed value is no drift. `value` + `ignore_changes = [value]` was not
# enough: every refresh read the decrypted value into state.
#
# ignore_changes = [value_wo_version]: a parameter created by the former
# `value` version has no value_wo_version in state, and the provider writes
# value_wo whenever that attribute changes, which would put the placeholder
# over the real value. Ignored, the upgrade is an ordinary update (the
# description suffix below is new) that writes the current value back unchanged
# and leaves the parameter write-only from then on, its value gone from state.

locals {
  placeholder        = "PLACEHOLDER-set-with-aws-ssm-put-parameter"
  description_suffix = "Set with aws ssm put-parameter --overwrite; Terraform never stores the value."
}

resource "aws_ssm_parameter" "this" {
  for_each = var.parameters

  name             = each.value.name
  description      = "${each.value.purpose} ${local.description_suffix}"
  type             = "SecureString"
  key_id           = var.kms_key_arn
  value_wo         = local.placeholder
  value_wo_version = 1
  tags             = var.tags

  lifecycle {
    ignore_changes = [value_wo_version]
  }
}
