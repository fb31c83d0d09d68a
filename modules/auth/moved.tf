# Resource names follow one convention across the modules: `this` for a module's
# one resource of a type. These blocks move state from the former names, so an
# existing user pool (and every account in it) is kept, not replaced.

moved {
  from = aws_cognito_user_pool.main
  to   = aws_cognito_user_pool.this
}

moved {
  from = aws_cognito_identity_pool.main
  to   = aws_cognito_identity_pool.this
}

moved {
  from = aws_cognito_identity_pool_roles_attachment.main
  to   = aws_cognito_identity_pool_roles_attachment.this
}
