terraform {
  required_version = ">= 1.11.4, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Roots pin exactly: the modules accept >= 5.100; this is the version tested here.
      version = "= 5.100.0"
    }
  }

  # State stays local and throw-away (local.terraform passes -state=<path>):
  # the emulator it describes keeps nothing on disk.
  backend "local" {}
}
