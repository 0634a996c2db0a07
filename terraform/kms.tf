# One customer-managed KMS key encrypts the bucket, the database, the secrets, the images and the
# logs of this stack (about 1 USD a month, and CloudTrail shows every use).

data "aws_iam_policy_document" "kms" {
  #checkov:skip=CKV_AWS_111:This is a key policy: its resource "*" is this key alone, and the write actions are limited to the account root and to CloudWatch Logs for this stack's log groups.
  #checkov:skip=CKV_AWS_356:This is a key policy: its resource "*" is this key alone, as AWS requires.
  #checkov:skip=CKV_AWS_109:This is a key policy: the account root administers the key, the standard default that keeps it manageable through IAM.
  # The account administers the key through IAM, as with any AWS-managed default.
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy "*" means this key
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${local.account_id}:root"]
    }
  }

  # CloudWatch Logs encrypts the log groups of this stack only.
  statement {
    sid = "CloudWatchLogs"
    actions = [
      "kms:Encrypt*",
      "kms:Decrypt*",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"] # in a key policy "*" means this key
    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }
    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        "arn:aws:logs:${var.region}:${local.account_id}:log-group:/natter/${local.name}/*",
        "arn:aws:logs:${var.region}:${local.account_id}:log-group:/aws/rds/cluster/${local.name}/*",
      ]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${local.name}: bucket, database, secrets, images and logs"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.kms.json
}

resource "aws_kms_alias" "main" {
  name          = "alias/${local.name}"
  target_key_id = aws_kms_key.main.key_id
}
