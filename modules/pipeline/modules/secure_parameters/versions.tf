terraform {
  # Write-only arguments (value_wo) need Terraform 1.11 and hashicorp/aws 5.99+.
  required_version = ">= 1.11.4, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.100"
    }
  }
}
