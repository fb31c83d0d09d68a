# Resource names follow one convention across the modules: `this` for a module's
# one resource of a type. These blocks move state from the former names, so the
# existing key (which encrypts every picture) is kept, not replaced.

moved {
  from = aws_kms_key.main
  to   = aws_kms_key.this
}

moved {
  from = aws_kms_alias.main
  to   = aws_kms_alias.this
}
