# The Replicate token and the webhook signing secret: SecureString parameters
# whose values Terraform never holds (write-only, see modules/secure_parameters).
# Operators set them with `aws ssm put-parameter --overwrite`. Their names come
# from modules/contract.

locals {
  secret_parameters = {
    replicate_api_token = {
      name    = replace(module.contract.parameters.replicate_api_token, "{name_prefix}", var.name_prefix)
      purpose = "Replicate API token used by ${local.function_names["generate"]}."
    }
    webhook_secret = {
      name    = replace(module.contract.parameters.webhook_secret, "{name_prefix}", var.name_prefix)
      purpose = "Replicate webhook signing secret (whsec_...) checked by ${local.function_names["webhook"]}."
    }
  }
  parameter_arns = {
    for key, parameter in local.secret_parameters :
    key => "arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${parameter.name}"
  }
}

module "secure_parameters" {
  source = "./modules/secure_parameters"

  parameters  = local.secret_parameters
  kms_key_arn = var.kms_key_arn
  tags        = var.tags
}

# Before the module, the parameters were this module's aws_ssm_parameter.secret.
moved {
  from = aws_ssm_parameter.secret
  to   = module.secure_parameters.aws_ssm_parameter.this
}
