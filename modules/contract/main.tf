# The names every part of the backend shares, read from contract.json: the
# Lambda package loads the same file (lambda_src/aipic/contract.json links to
# it), so a name changes in one place. No resources, no providers.

locals {
  contract = jsondecode(file("${path.module}/contract.json"))
}
