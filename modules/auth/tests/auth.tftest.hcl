# Security properties of the auth module against a mocked AWS provider.

mock_provider "aws" {
  source = "./tests/mocks"
}

variables {
  name_prefix = "aipic-test"
  bucket_arn  = "arn:aws:s3:::aipic-test-pics-123456789012"
  kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:key/0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70"
  tags        = { project = "aipic" }
}

run "user_pool_signs_in_by_verified_email_with_a_strong_password" {
  command = apply

  assert {
    condition     = aws_cognito_user_pool.this.name == "aipic-test-users"
    error_message = "The user pool name must carry the prefix."
  }

  assert {
    condition     = aws_cognito_user_pool.this.username_attributes == toset(["email"]) && aws_cognito_user_pool.this.auto_verified_attributes == toset(["email"])
    error_message = "Users sign in with their email, which Cognito verifies."
  }

  assert {
    condition = aws_cognito_user_pool.this.password_policy[0] == {
      minimum_length                   = 12
      require_lowercase                = true
      require_uppercase                = true
      require_numbers                  = true
      require_symbols                  = true
      temporary_password_validity_days = 3
      password_history_size            = aws_cognito_user_pool.this.password_policy[0].password_history_size
    }
    error_message = "Passwords must be at least 12 characters mixing lower/upper case, digits and symbols."
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "OPTIONAL" && aws_cognito_user_pool.this.software_token_mfa_configuration[0].enabled
    error_message = "TOTP MFA must be offered by default."
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "ACTIVE"
    error_message = "The user pool must be protected from deletion by default."
  }

  assert {
    condition     = [for m in aws_cognito_user_pool.this.account_recovery_setting[0].recovery_mechanism : m.name] == ["verified_email"]
    error_message = "Accounts recover through the verified email only (no SMS)."
  }

  assert {
    condition     = aws_cognito_user_pool.this.user_attribute_update_settings[0].attributes_require_verification_before_update == toset(["email"])
    error_message = "A changed email must be verified before it is used."
  }

  assert {
    condition     = !aws_cognito_user_pool.this.username_configuration[0].case_sensitive
    error_message = "Email sign-in must be case-insensitive."
  }
}

run "app_client_is_public_srp_only_and_hides_user_existence" {
  command = apply

  assert {
    condition     = aws_cognito_user_pool_client.app.user_pool_id == aws_cognito_user_pool.this.id && !aws_cognito_user_pool_client.app.generate_secret
    error_message = "The app client belongs to the pool and has no secret."
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.explicit_auth_flows == toset(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"])
    error_message = "Only SRP and refresh-token sign-in are allowed by default (no plain password flows)."
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.prevent_user_existence_errors == "ENABLED"
    error_message = "Sign-in errors must not reveal whether a user exists."
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.enable_token_revocation
    error_message = "Refresh tokens must be revocable."
  }

  assert {
    condition = [
      aws_cognito_user_pool_client.app.access_token_validity,
      aws_cognito_user_pool_client.app.id_token_validity,
      aws_cognito_user_pool_client.app.refresh_token_validity,
      ] == [60, 60, 30] && aws_cognito_user_pool_client.app.token_validity_units[0] == {
      access_token  = "minutes"
      id_token      = "minutes"
      refresh_token = "days"
    }
    error_message = "Access/ID tokens live 60 minutes and refresh tokens 30 days by default."
  }

  assert {
    condition     = output.user_pool_client_id == aws_cognito_user_pool_client.app.id && output.user_pool_id == aws_cognito_user_pool.this.id
    error_message = "The outputs must name the pool and the client."
  }
}

run "identity_pool_admits_only_signed_in_users_of_this_pool" {
  command = apply

  assert {
    condition     = !aws_cognito_identity_pool.this.allow_unauthenticated_identities && !aws_cognito_identity_pool.this.allow_classic_flow
    error_message = "No guest identities and no classic flow."
  }

  assert {
    condition = [for p in aws_cognito_identity_pool.this.cognito_identity_providers : [p.client_id, p.provider_name, p.server_side_token_check]] == [
      ["4s1ex2ampleclient7id0fd9k3", "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI", true],
    ]
    error_message = "The identity pool must trust exactly this pool's app client, checking tokens server-side."
  }

  assert {
    condition = [
      aws_cognito_identity_pool_provider_principal_tag.sub.identity_pool_id,
      aws_cognito_identity_pool_provider_principal_tag.sub.identity_provider_name,
      aws_cognito_identity_pool_provider_principal_tag.sub.use_defaults,
    ] == [aws_cognito_identity_pool.this.id, "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI", false]
    error_message = "The principal tag mapping must belong to this identity pool and user pool, without the default tags."
  }

  assert {
    condition     = aws_cognito_identity_pool_provider_principal_tag.sub.principal_tags == tomap({ sub = "sub" })
    error_message = "Exactly one principal tag, sub, mapped from the user pool claim sub."
  }

  assert {
    condition     = aws_cognito_identity_pool_roles_attachment.this.identity_pool_id == aws_cognito_identity_pool.this.id && aws_cognito_identity_pool_roles_attachment.this.roles == tomap({ authenticated = aws_iam_role.authenticated.arn })
    error_message = "Only the authenticated role is attached (no unauthenticated role)."
  }

  assert {
    condition     = output.identity_pool_id == aws_cognito_identity_pool.this.id && output.authenticated_role_arn == aws_iam_role.authenticated.arn
    error_message = "The outputs must name the identity pool and its role."
  }
}

run "authenticated_role_trusts_only_this_identity_pool" {
  command = apply

  assert {
    condition = jsondecode(aws_iam_role.authenticated.assume_role_policy).Statement == [{
      Sid       = "SignedInUsersOfThisIdentityPool"
      Effect    = "Allow"
      Principal = { Federated = "cognito-identity.amazonaws.com" }
      Action    = ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
      Condition = {
        StringEquals             = { "cognito-identity.amazonaws.com:aud" = "eu-west-1:3f1c2b9e-7d6a-4c5b-8e9f-0a1b2c3d4e5f" }
        "ForAnyValue:StringLike" = { "cognito-identity.amazonaws.com:amr" = "authenticated" }
      }
    }]
    error_message = "The role may be assumed (and tagged) only by authenticated identities of this identity pool."
  }
}

run "authenticated_role_reads_only_its_own_prefix" {
  command = apply

  assert {
    condition     = output.authenticated_role_policy == aws_iam_role_policy.authenticated_reads_own_pictures.policy
    error_message = "authenticated_role_policy must be the authenticated role's policy."
  }

  assert {
    condition     = aws_iam_role_policy.authenticated_reads_own_pictures.role == aws_iam_role.authenticated.id
    error_message = "The policy must be attached to the authenticated role."
  }

  assert {
    condition = [for s in jsondecode(aws_iam_role_policy.authenticated_reads_own_pictures.policy).Statement : [s.Effect, s.Action, s.Resource]] == [
      ["Allow", ["s3:GetObject"], ["arn:aws:s3:::aipic-test-pics-123456789012/pics/$${aws:PrincipalTag/sub}/*"]],
      ["Allow", ["kms:Decrypt"], ["arn:aws:kms:eu-west-1:123456789012:key/0d6c1a52-8f1e-4f0b-9a8e-2f6a3c1d9b70"]],
    ]
    error_message = "Signed-in users may only GetObject under pics/<their sub>/ and decrypt with the bucket's key."
  }

  assert {
    condition     = jsondecode(aws_iam_role_policy.authenticated_reads_own_pictures.policy).Statement[1].Condition == { StringEquals = { "kms:ViaService" = "s3.eu-west-1.amazonaws.com" } }
    error_message = "Decryption must only happen through S3 in the bucket's region."
  }

  assert {
    condition = alltrue(flatten([
      for s in jsondecode(aws_iam_role_policy.authenticated_reads_own_pictures.policy).Statement : [
        for a in flatten([s.Action]) : !strcontains(a, "*")
      ]
    ]))
    error_message = "No action may contain a wildcard."
  }
}

run "settings_for_a_throwaway_environment_are_wired" {
  command = apply

  variables {
    deletion_protection           = false
    mfa_configuration             = "OFF"
    password_minimum_length       = 16
    access_token_validity_minutes = 15
    refresh_token_validity_days   = 7
    admin_password_auth_enabled   = true
  }

  assert {
    condition     = aws_cognito_user_pool.this.deletion_protection == "INACTIVE"
    error_message = "deletion_protection = false must reach the pool."
  }

  assert {
    condition     = output.user_pool_deletion_protection == "INACTIVE"
    error_message = "user_pool_deletion_protection must report the pool's setting."
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "OFF" && length(aws_cognito_user_pool.this.software_token_mfa_configuration) == 0
    error_message = "With MFA off no TOTP configuration may be sent (Cognito rejects it)."
  }

  assert {
    condition     = aws_cognito_user_pool.this.password_policy[0].minimum_length == 16
    error_message = "password_minimum_length must reach the password policy."
  }

  assert {
    condition     = [aws_cognito_user_pool_client.app.access_token_validity, aws_cognito_user_pool_client.app.id_token_validity, aws_cognito_user_pool_client.app.refresh_token_validity] == [15, 15, 7]
    error_message = "Token validity inputs must reach the app client."
  }

  assert {
    condition     = aws_cognito_user_pool_client.app.explicit_auth_flows == toset(["ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"])
    error_message = "admin_password_auth_enabled adds exactly the IAM-guarded admin password flow."
  }
}

run "mfa_can_be_required" {
  command = plan

  variables {
    mfa_configuration = "ON"
  }

  assert {
    condition     = aws_cognito_user_pool.this.mfa_configuration == "ON" && aws_cognito_user_pool.this.software_token_mfa_configuration[0].enabled
    error_message = "Required MFA must use TOTP."
  }
}

run "rejects_an_unknown_mfa_mode" {
  command = plan

  variables {
    mfa_configuration = "SMS"
  }

  expect_failures = [var.mfa_configuration]
}

run "rejects_a_short_password_minimum" {
  command = plan

  variables {
    password_minimum_length = 7
  }

  expect_failures = [var.password_minimum_length]
}

run "rejects_an_object_arn_as_bucket_arn" {
  command = plan

  variables {
    bucket_arn = "arn:aws:s3:::aipic-test-pics-123456789012/pics/*"
  }

  expect_failures = [var.bucket_arn]
}

run "rejects_a_key_alias_as_kms_key_arn" {
  command = plan

  variables {
    kms_key_arn = "arn:aws:kms:eu-west-1:123456789012:alias/aipic-test"
  }

  expect_failures = [var.kms_key_arn]
}

run "rejects_token_validity_out_of_range" {
  command = plan

  variables {
    access_token_validity_minutes = 2
    refresh_token_validity_days   = 0
  }

  expect_failures = [var.access_token_validity_minutes, var.refresh_token_validity_days]
}

run "rejects_a_bad_name_prefix" {
  command = plan

  variables {
    name_prefix = "-aipic"
  }

  expect_failures = [var.name_prefix]
}
