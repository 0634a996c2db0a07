# Secrets Manager: the database administrator's URL (used only by the db-setup task), each
# service's own database login (a JSON secret: the URL ECS gives the service as DATABASE_URL, and
# the password the db-setup task sets), and the token-signing secret shared by the hub and the
# upload service. Every URL asks for TLS with the server verified against Amazon RDS's CA bundle,
# which the images carry.

locals {
  db_tls = "sslmode=verify-full&sslrootcert=/app/certs/rds-global-bundle.pem"
  db_address = "${aws_rds_cluster.main.endpoint}:${aws_rds_cluster.main.port}/${aws_rds_cluster.main.database_name}"
}

resource "random_password" "db" {
  length  = 40
  special = false # the password is embedded in a URL
}

resource "random_password" "db_hub" {
  length  = 40
  special = false
}

resource "random_password" "db_upload" {
  length  = 40
  special = false
}

resource "random_password" "token" {
  length  = 64
  special = false
}

resource "aws_secretsmanager_secret" "database_admin" {
  #checkov:skip=CKV2_AWS_57:Rotation needs a rotation Lambda that changes the Aurora password and rewrites this URL together; not provided yet.
  name                    = "${local.name}/database-admin-url"
  description             = "PostgreSQL URL of the Aurora administrator; only the db-setup task reads it"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database_admin" {
  secret_id     = aws_secretsmanager_secret.database_admin.id
  secret_string = "postgres://${aws_rds_cluster.main.master_username}:${random_password.db.result}@${local.db_address}?sslmode=verify-full&sslrootcert=/tmp/rds-global-bundle.pem"
}

resource "aws_secretsmanager_secret" "database_hub" {
  #checkov:skip=CKV2_AWS_57:Rotating means re-running the db-setup task with the new password and restarting the hub; done by hand.
  name                    = "${local.name}/database-hub"
  description             = "The hub's database login natter_hub: {url, password}"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database_hub" {
  secret_id = aws_secretsmanager_secret.database_hub.id
  secret_string = jsonencode({
    url      = "postgres://natter_hub:${random_password.db_hub.result}@${local.db_address}?${local.db_tls}"
    password = random_password.db_hub.result
  })
}

resource "aws_secretsmanager_secret" "database_upload" {
  #checkov:skip=CKV2_AWS_57:Rotating means re-running the db-setup task with the new password and restarting the upload service; done by hand.
  name                    = "${local.name}/database-upload"
  description             = "The upload service's database login natter_upload: {url, password}"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = 7
}

resource "aws_secretsmanager_secret_version" "database_upload" {
  secret_id = aws_secretsmanager_secret.database_upload.id
  secret_string = jsonencode({
    url      = "postgres://natter_upload:${random_password.db_upload.result}@${local.db_address}?${local.db_tls}"
    password = random_password.db_upload.result
  })
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
