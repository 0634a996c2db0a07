# Tool and provider versions, and the provider settings shared by every resource.

terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.80, < 7.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, {
      Project     = var.project
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}

data "aws_caller_identity" "current" {}

data "aws_availability_zones" "available" {
  #checkov:skip=CKV_AWS_394:Only the first var.az_count zones (sorted by name) are used, via slice() in local.azs; a zone AWS adds later does not change that set.
  state = "available"
}

locals {
  # Prefix of every resource name, e.g. "natter-prod".
  name       = "${var.project}-${var.environment}"
  account_id = data.aws_caller_identity.current.account_id
  azs        = slice(data.aws_availability_zones.available.names, 0, var.az_count)

  # The page, the API and the media all live on this one origin (the ALB routes by path).
  public_origin = "https://${var.domain_name}"
}
