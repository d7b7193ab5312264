terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "= 5.80.0"
    }
  }

  backend "s3" {
    bucket       = "infra-gen-tfstate-333333333333"
    key          = "prod/us-east-1/terraform.tfstate"
    region       = "us-east-1"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = ["333333333333"]

  default_tags {
    tags = {
      project       = "infra-gen"
      environment   = var.environment
      "cost-center" = "platform"
      "managed-by"  = "infra-gen"
    }
  }
}
