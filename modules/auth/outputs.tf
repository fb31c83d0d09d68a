output "user_pool_id" {
  description = "ID of the Cognito user pool (AppSync's default authoriser)."
  value       = aws_cognito_user_pool.main.id
}

output "user_pool_arn" {
  description = "ARN of the Cognito user pool."
  value       = aws_cognito_user_pool.main.arn
}

output "user_pool_client_id" {
  description = "ID of the app client (no secret) that browsers and apps sign in with."
  value       = aws_cognito_user_pool_client.app.id
}

output "identity_pool_id" {
  description = "ID of the identity pool that trades user pool tokens for AWS credentials."
  value       = aws_cognito_identity_pool.main.id
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
  value       = aws_cognito_user_pool.main.deletion_protection
}
