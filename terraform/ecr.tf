# Image repositories: immutable tags, scanned on push, old untagged layers expired.

locals {
  ecr_lifecycle = jsonencode({
    rules = [{
      rulePriority = 1
      description  = "Drop untagged images after 14 days"
      selection = {
        tagStatus   = "untagged"
        countType   = "sinceImagePushed"
        countUnit   = "days"
        countNumber = 14
      }
      action = { type = "expire" }
    }]
  })
}

resource "aws_ecr_repository" "hub" {
  name                 = "${local.name}/hub"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecr_repository" "upload" {
  name                 = "${local.name}/upload"
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.main.arn
  }
}

resource "aws_ecr_lifecycle_policy" "hub" {
  repository = aws_ecr_repository.hub.name
  policy     = local.ecr_lifecycle
}

resource "aws_ecr_lifecycle_policy" "upload" {
  repository = aws_ecr_repository.upload.name
  policy     = local.ecr_lifecycle
}
