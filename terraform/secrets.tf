# Secrets Manager: the database URL (it embeds the generated password) and the token-signing
# secret shared by the hub and the upload service. ECS injects both as environment variables.

resource "random_password" "db" {
  length  = 40
  special = false # the password is embedded in a URL
}

resource "random_password" "token" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "database_url" {
  #checkov:skip=CKV2_AWS_57:Rotation needs a rotation Lambda that changes the Aurora password and rewrites this URL together; not provided yet.
  name                    = "${local.name}/database-url"
  description             = "PostgreSQL URL of the natter services (DATABASE_URL)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id     = aws_secretsmanager_secret.database_url.id
  secret_string = "postgres://${aws_rds_cluster.main.master_username}:${random_password.db.result}@${aws_rds_cluster.main.endpoint}:${aws_rds_cluster.main.port}/${aws_rds_cluster.main.database_name}"
}

resource "aws_secretsmanager_secret" "token" {
  #checkov:skip=CKV2_AWS_57:Rotating the HMAC token secret signs every user out; rotate by hand (taint random_password.token) when needed.
  name                    = "${local.name}/token-secret"
  description             = "HMAC secret that signs natter session tokens (TOKEN_SECRET)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "token" {
  secret_id     = aws_secretsmanager_secret.token.id
  secret_string = random_password.token.result
}
