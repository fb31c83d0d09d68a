# Every request goes to the local emulator (python -m local.emulator): fake
# credentials, no account, credential or region look-ups, path-style S3 (no
# bucket subdomains on 127.0.0.1). moto answers as account 123456789012.
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
  # minutes, while a dropped keep-alive connection (seen now and then under
  # load) is still retried.
  max_retries = 3

  # Every service the stack (or a resource added to it later) may call.
  endpoints {
    apigateway      = var.emulator_url
    apigatewayv2    = var.emulator_url
    appsync         = var.emulator_url
    cloudwatch      = var.emulator_url
    cognitoidentity = var.emulator_url
    cognitoidp      = var.emulator_url
    dynamodb        = var.emulator_url
    events          = var.emulator_url
    iam             = var.emulator_url
    kms             = var.emulator_url
    lambda          = var.emulator_url
    logs            = var.emulator_url
    s3              = var.emulator_url
    scheduler       = var.emulator_url
    secretsmanager  = var.emulator_url
    sns             = var.emulator_url
    sqs             = var.emulator_url
    ssm             = var.emulator_url
    sts             = var.emulator_url
    wafv2           = var.emulator_url
    xray            = var.emulator_url
  }

  default_tags {
    tags = {
      project     = "aipic"
      environment = "local"
      managed_by  = "terraform"
    }
  }
}
