terraform {
  required_version = ">= 1.11.4, < 2.0.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # State stays local and throw-away: the demo passes -state=<its temp dir>,
  # because the emulator it describes lives only as long as the demo.
  backend "local" {}
}
