locals {
  # Terraform never holds the secrets: it creates the parameters with this
  # placeholder and ignores later changes; operators set the real values with
  # `aws ssm put-parameter --overwrite`.
  secret_placeholder = "PLACEHOLDER-set-with-aws-ssm-put-parameter"

  secret_parameters = {
    replicate_api_token = {
      name        = "/${var.name_prefix}/replicate/api-token"
      description = "Replicate API token used by ${local.function_names["generate"]}."
    }
    webhook_secret = {
      name        = "/${var.name_prefix}/replicate/webhook-secret"
      description = "Replicate webhook signing secret (whsec_...) checked by ${local.function_names["webhook"]}."
    }
  }
  parameter_arns = {
    for key, parameter in local.secret_parameters :
    key => "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${parameter.name}"
  }
}

resource "aws_ssm_parameter" "secret" {
  for_each = local.secret_parameters

  name        = each.value.name
  description = each.value.description
  type        = "SecureString"
  key_id      = var.kms_key_arn
  value       = local.secret_placeholder
  tags        = var.tags

  lifecycle {
    ignore_changes = [value]
  }
}
