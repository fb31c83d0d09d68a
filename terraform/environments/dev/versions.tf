terraform {
  required_version = ">= 1.11.4, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Roots pin exactly: the modules accept >= 5.100; this is the version tested here.
      version = "= 5.100.0"
    }
  }

  # Partial configuration: terraform init -backend-config=backend.hcl
  # (copy backend.hcl.example). State holds no secrets (the SSM values are
  # set outside Terraform) but names every resource: keep the bucket private.
  backend "s3" {}
}
