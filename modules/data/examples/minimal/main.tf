# The smallest use of modules/data: the pics table, the pictures bucket and the
# environment's KMS key, with every setting at its default (deletion-protected
# table, bucket kept on destroy, 30-day noncurrent versions, no CORS, no access
# logs). Plan it with `terraform init && terraform plan` in this directory.

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

module "data" {
  source = "../.."

  name_prefix = "aipic-example"
}

output "table_name" {
  description = "The pics table."
  value       = module.data.table_name
}

output "bucket_name" {
  description = "The pictures bucket."
  value       = module.data.bucket_name
}
