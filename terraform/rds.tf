# Aurora PostgreSQL Serverless v2: one writer in the private subnets, encrypted with the stack's
# KMS key, reachable only from the service tasks. Capacity floats between db_min_acu and db_max_acu.

resource "aws_db_subnet_group" "main" {
  name       = local.name
  subnet_ids = aws_subnet.private[*].id
}

locals {
  db_major_version = split(".", var.db_engine_version)[0]
}

resource "aws_rds_cluster_parameter_group" "main" {
  name        = "${local.name}-aurora-pg${local.db_major_version}"
  family      = "aurora-postgresql${local.db_major_version}"
  description = "natter: log slow statements and connection churn"

  # Every connection must use TLS: the services' DATABASE_URLs ask for sslmode=verify-full
  # against Amazon RDS's CA bundle (secrets.tf), and so does the db-setup task.
  parameter {
    name  = "rds.force_ssl"
    value = "1"
  }

  # Schema changes (the migrations) are logged; ordinary queries only when slow.
  parameter {
    name  = "log_statement"
    value = "ddl"
  }

  parameter {
    name  = "log_min_duration_statement"
    value = "500"
  }

  parameter {
    name  = "log_connections"
    value = "1"
  }

  parameter {
    name  = "log_disconnections"
    value = "1"
  }
}

resource "aws_rds_cluster" "main" {
  #checkov:skip=CKV2_AWS_8:Aurora's continuous backups (db_backup_retention_days, point-in-time restore) cover recovery; add an AWS Backup plan for cross-account copies.
  cluster_identifier              = local.name
  engine                          = "aurora-postgresql"
  engine_mode                     = "provisioned"
  engine_version                  = var.db_engine_version
  database_name                   = "natter"
  master_username                 = "natter"
  master_password                 = random_password.db.result
  db_subnet_group_name            = aws_db_subnet_group.main.name
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.main.name
  vpc_security_group_ids          = [aws_security_group.db.id]
  port                            = 5432

  storage_encrypted                   = true
  kms_key_id                          = aws_kms_key.main.arn
  iam_database_authentication_enabled = true
  deletion_protection                 = var.deletion_protection
  backup_retention_period             = var.db_backup_retention_days
  preferred_backup_window             = "03:00-04:00"
  copy_tags_to_snapshot               = true
  skip_final_snapshot                 = false
  final_snapshot_identifier           = "${local.name}-final"
  enabled_cloudwatch_logs_exports     = ["postgresql"]

  serverlessv2_scaling_configuration {
    min_capacity = var.db_min_acu
    max_capacity = var.db_max_acu
  }

  # The exported PostgreSQL log goes to the group below (retention, KMS) rather than to one that
  # RDS would create without either.
  depends_on = [aws_cloudwatch_log_group.db]
}

resource "aws_cloudwatch_log_group" "db" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default) to bound cost; raise it where an audit requires a year.
  name              = "/aws/rds/cluster/${local.name}/postgresql"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_rds_cluster_instance" "writer" {
  identifier                            = "${local.name}-writer"
  cluster_identifier                    = aws_rds_cluster.main.id
  instance_class                        = "db.serverless"
  engine                                = aws_rds_cluster.main.engine
  engine_version                        = aws_rds_cluster.main.engine_version
  db_subnet_group_name                  = aws_db_subnet_group.main.name
  auto_minor_version_upgrade            = true
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.main.arn
  performance_insights_retention_period = 7
}
