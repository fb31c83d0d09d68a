output "user_pool_id" {
  description = "ID of the Cognito user pool (AppSync's default authoriser)."
  value       = aws_cognito_user_pool.this.id
}

output "user_pool_arn" {
  description = "ARN of the Cognito user pool."
  value       = aws_cognito_user_pool.this.arn
}

output "user_pool_client_id" {
  description = "ID of the app client (no secret) that browsers and apps sign in with."
  value       = aws_cognito_user_pool_client.app.id
}

output "identity_pool_id" {
  description = "ID of the identity pool that trades user pool tokens for AWS credentials."
  value       = aws_cognito_identity_pool.this.id
}

output "authenticated_role_arn" {
  description = "ARN of the role signed-in users assume through the identity pool."
  value       = aws_iam_role.authenticated.arn
}

output "authenticated_role_policy" {
  description = "JSON policy of the authenticated role (what a signed-in user's AWS credentials may do)."
  value       = aws_iam_role_policy.authenticated_reads_own_pictures.policy
}

output "user_pool_deletion_protection" {
  description = "Deletion protection of the user pool as applied: ACTIVE or INACTIVE."
  value       = aws_cognito_user_pool.this.deletion_protection
}

output "user_pool_security" {
  description = "The pool's security settings as applied: mfa_configuration, threat_protection_mode, email_sending_account, self_sign_up (false when admin_only) and pre_sign_up_function_arn (null unless the email-domain allow-list is on)."
  value = {
    mfa_configuration        = aws_cognito_user_pool.this.mfa_configuration
    threat_protection_mode   = aws_cognito_user_pool.this.user_pool_add_ons[0].advanced_security_mode
    email_sending_account    = aws_cognito_user_pool.this.email_configuration[0].email_sending_account
    self_sign_up             = !aws_cognito_user_pool.this.admin_create_user_config[0].allow_admin_create_user_only
    pre_sign_up_function_arn = one(aws_lambda_function.pre_sign_up[*].arn)
  }
}
