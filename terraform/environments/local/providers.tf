# Every request goes to the local moto server: fake credentials, no account or
# credential look-ups, path-style S3 (no bucket subdomains on 127.0.0.1).
provider "aws" {
  region     = var.region
  access_key = "testing"
  secret_key = "testing"

  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  # Few retries: an unsupported call fails in seconds instead of retrying for
  # minutes, while a dropped keep-alive connection to moto's server (seen now and
  # then under load) is still retried.
  max_retries = 3

  endpoints {
    dynamodb = var.moto_endpoint
    iam      = var.moto_endpoint
    kms      = var.moto_endpoint
    s3       = var.moto_endpoint
    ssm      = var.moto_endpoint
    sts      = var.moto_endpoint
  }

  default_tags {
    tags = {
      project     = "aipic"
      environment = "local"
    }
  }
}
