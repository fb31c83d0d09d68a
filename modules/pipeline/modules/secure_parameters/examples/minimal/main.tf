# SecureString parameters whose values never reach Terraform state: Terraform
# creates each with a write-only placeholder, and an operator sets the value with
#   aws ssm put-parameter --overwrite --type SecureString --key-id <key> --name <name> --value ...

terraform {
  required_version = ">= 1.11.4, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}

provider "aws" {
  region = "eu-west-1"
}

variable "kms_key_arn" {
  description = "The customer-managed key the values are encrypted with."
  type        = string
}

module "secure_parameters" {
  source = "../.."

  kms_key_arn = var.kms_key_arn
  parameters = {
    api_token = { name = "/aipic-example/replicate/api-token", purpose = "Replicate API token." }
  }
}

output "names" {
  description = "Each parameter's name, by key."
  value       = module.secure_parameters.names
}
