provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids

  default_tags {
    tags = merge({
      project     = "aipic"
      environment = local.environment
      managed_by  = "terraform"
    }, var.tags)
  }
}
