output "names" {
  description = "Parameter names by key."
  value       = { for key, parameter in aws_ssm_parameter.this : key => parameter.name }
}

output "arns" {
  description = "Parameter ARNs by key."
  value       = { for key, parameter in aws_ssm_parameter.this : key => parameter.arn }
}
