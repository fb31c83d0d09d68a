# Who the users are (Cognito user pool + app client) and what their browser
# may read directly (identity pool role: their own pictures, nothing else).

# The pre sign-up trigger's environment variable name (sign_up.tf).
module "contract" {
  source = "../contract"
}

data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  # Identity pool session tag carrying the user pool `sub`; the role policy
  # scopes S3 reads to pics/<sub>/ with it.
  sub_principal_tag = "sub"
  explicit_auth_flows = concat(
    ["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    var.admin_password_auth_enabled ? ["ALLOW_ADMIN_USER_PASSWORD_AUTH"] : [],
  )
}

resource "aws_cognito_user_pool" "this" {
  name                     = "${var.name_prefix}-users"
  username_attributes      = ["email"]
  auto_verified_attributes = ["email"]
  deletion_protection      = var.deletion_protection ? "ACTIVE" : "INACTIVE"
  mfa_configuration        = var.mfa_configuration
  # Threat protection (advanced security) needs the Plus feature plan; null
  # keeps the pool's current plan (Essentials for a new pool).
  user_pool_tier = var.threat_protection_mode == "OFF" ? null : "PLUS"

  user_pool_add_ons {
    advanced_security_mode = var.threat_protection_mode
  }

  # Cognito's own sender allows a few dozen emails a day for the whole pool:
  # scripted sign-ups can use them up and lock real users out of verification
  # and password resets. With ses_email, Cognito sends through the operator's
  # verified SES identity (SES quotas and reputation).
  email_configuration {
    email_sending_account  = var.ses_email == null ? "COGNITO_DEFAULT" : "DEVELOPER"
    source_arn             = try(var.ses_email.source_arn, null)
    from_email_address     = try(var.ses_email.from_email_address, null)
    reply_to_email_address = try(var.ses_email.reply_to_email_address, null)
    configuration_set      = try(var.ses_email.configuration_set, null)
  }

  dynamic "lambda_config" {
    for_each = local.allowlist_trigger ? [true] : []
    content {
      pre_sign_up = aws_lambda_function.pre_sign_up[0].arn
    }
  }

  # Cognito refuses a TOTP configuration while MFA is off.
  dynamic "software_token_mfa_configuration" {
    for_each = var.mfa_configuration == "OFF" ? [] : [true]
    content {
      enabled = true
    }
  }

  password_policy {
    minimum_length                   = var.password_minimum_length
    require_lowercase                = true
    require_uppercase                = true
    require_numbers                  = true
    require_symbols                  = true
    temporary_password_validity_days = 3
  }

  username_configuration {
    case_sensitive = false
  }

  account_recovery_setting {
    recovery_mechanism {
      name     = "verified_email"
      priority = 1
    }
  }

  # A changed email stays unverified (and unusable for sign-in) until confirmed.
  user_attribute_update_settings {
    attributes_require_verification_before_update = ["email"]
  }

  verification_message_template {
    default_email_option = "CONFIRM_WITH_CODE"
  }

  # sign_up_policy "admin_only": users cannot sign themselves up at all.
  admin_create_user_config {
    allow_admin_create_user_only = var.sign_up_policy == "admin_only"
  }

  tags = var.tags
}

resource "aws_cognito_user_pool_client" "app" {
  name         = "${var.name_prefix}-app"
  user_pool_id = aws_cognito_user_pool.this.id
  # A public client (browser, mobile app) cannot keep a secret.
  generate_secret                      = false
  explicit_auth_flows                  = local.explicit_auth_flows
  prevent_user_existence_errors        = "ENABLED"
  enable_token_revocation              = true
  supported_identity_providers         = ["COGNITO"]
  allowed_oauth_flows_user_pool_client = false
  auth_session_validity                = 3
  access_token_validity                = var.access_token_validity_minutes
  id_token_validity                    = var.access_token_validity_minutes
  refresh_token_validity               = var.refresh_token_validity_days

  token_validity_units {
    access_token  = "minutes"
    id_token      = "minutes"
    refresh_token = "days"
  }
}

resource "aws_cognito_identity_pool" "this" {
  identity_pool_name               = "${var.name_prefix}-identities"
  allow_unauthenticated_identities = false
  # Only the enhanced flow, whose credentials carry the principal tags.
  allow_classic_flow = false

  cognito_identity_providers {
    client_id               = aws_cognito_user_pool_client.app.id
    provider_name           = aws_cognito_user_pool.this.endpoint
    server_side_token_check = true
  }

  tags = var.tags
}

# Maps the user pool claim `sub` to the session tag `sub` (and nothing else).
resource "aws_cognito_identity_pool_provider_principal_tag" "sub" {
  identity_pool_id       = aws_cognito_identity_pool.this.id
  identity_provider_name = aws_cognito_user_pool.this.endpoint
  use_defaults           = false
  principal_tags         = { (local.sub_principal_tag) = "sub" }
}

resource "aws_iam_role" "authenticated" {
  name        = "${var.name_prefix}-identity-authenticated"
  description = "Signed-in users of ${var.name_prefix}: read their own pictures."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "SignedInUsersOfThisIdentityPool"
        Effect    = "Allow"
        Principal = { Federated = "cognito-identity.amazonaws.com" }
        # TagSession lets the identity pool attach the `sub` principal tag.
        Action = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
        Condition = {
          StringEquals             = { "cognito-identity.amazonaws.com:aud" = aws_cognito_identity_pool.this.id }
          "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "authenticated" }
        }
      },
    ]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "authenticated_reads_own_pictures" {
  name = "read-own-pictures"
  role = aws_iam_role.authenticated.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadOwnPictures"
        Effect   = "Allow"
        Action   = ["s3:GetObject"]
        Resource = ["${var.bucket_arn}/pics/$${aws:PrincipalTag/${local.sub_principal_tag}}/*"]
      },
      {
        # The objects are SSE-KMS encrypted: reading them decrypts through S3 only.
        Sid       = "DecryptPicturesThroughS3"
        Effect    = "Allow"
        Action    = ["kms:Decrypt"]
        Resource  = [var.kms_key_arn]
        Condition = { StringEquals = { "kms:ViaService" = "s3.${data.aws_region.current.name}.amazonaws.com" } }
      },
    ]
  })
}

resource "aws_cognito_identity_pool_roles_attachment" "this" {
  identity_pool_id = aws_cognito_identity_pool.this.id
  roles = {
    authenticated = aws_iam_role.authenticated.arn
  }
}
