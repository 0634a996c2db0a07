# ECS on Fargate: the hub (exactly one task) and the upload service (autoscaled), their task
# definitions, log groups and scaling rules, and the one-off db-setup task that makes the
# services' database roles.
#
# Why the hub is one task: the hub keeps the map user -> live connections in its own memory and
# dispatches through an in-process bus. Two hub tasks would each see half of the users, and a
# message sent on one would never reach sockets held by the other. Until a cluster broker
# implements the bus across processes, the hub runs as a single task (desired = max = 1), and its
# deployments stop the old task before starting the new one (maximum_percent = 100): clients
# reconnect and catch up with cmd 30, losing nothing that was acknowledged. Scale it up (bigger
# hub_cpu / hub_memory), not out. The upload service is stateless and scales out freely.

locals {
  alarm_actions = var.alarm_topic_arn == "" ? [] : [var.alarm_topic_arn]

  # Environment of each container. tests/infra checks these names against the variables the
  # services read, so a typo here fails CI instead of being silently ignored at run time.
  # /metrics listens on its own port in each task (METRICS_ADDR); no target group and no
  # security group rule reaches it, so the load balancer never exposes it. Scrape it from a
  # sidecar in the task, or add a rule from your monitoring's security group.
  # The load balancer's addresses are in the VPC: only their X-Forwarded-For is believed.
  hub_environment = {
    HUB_ADDR          = "0.0.0.0:8088"
    METRICS_ADDR      = "0.0.0.0:9088"
    WEB_DIR           = "/app/web"
    UPLOAD_PUBLIC_URL = local.public_origin
    # Presigned media GETs go to the bucket's own host: the page's Content-Security-Policy allows it.
    MEDIA_PUBLIC_ORIGINS = "https://${aws_s3_bucket.media.bucket_regional_domain_name}"
    TRUSTED_PROXIES      = var.vpc_cidr
    DEV_LOGIN            = "false"
    LOG_FORMAT           = "json"
    RUST_LOG             = var.rust_log
  }
  # Each service logs in as its own database role (secrets.tf, infra/db/roles.sql).
  hub_secrets = {
    DATABASE_URL = "${aws_secretsmanager_secret.database_hub.arn}:url::"
    TOKEN_SECRET = aws_secretsmanager_secret.token.arn
  }

  upload_environment = {
    UPLOAD_ADDR         = "0.0.0.0:8089"
    METRICS_ADDR        = "0.0.0.0:9089"
    S3_ENDPOINT         = "https://s3.${var.region}.amazonaws.com"
    S3_REGION           = var.region
    S3_BUCKET           = aws_s3_bucket.media.bucket
    S3_FORCE_PATH_STYLE = "false"
    CORS_ORIGINS        = local.public_origin
    TRUSTED_PROXIES     = var.vpc_cidr
    # natter_upload may not change the schema; the hub applies the migrations.
    DATABASE_MIGRATE = "false"
    LOG_FORMAT       = "json"
    RUST_LOG         = var.rust_log
  }
  upload_secrets = {
    DATABASE_URL = "${aws_secretsmanager_secret.database_upload.arn}:url::"
    TOKEN_SECRET = aws_secretsmanager_secret.token.arn
  }

  # The db-setup task: fetch RDS's CA bundle (the admin URL verifies the server against it), then
  # run infra/db/roles.sql as the administrator.
  db_setup_script = <<-EOT
    wget -qO /tmp/rds-global-bundle.pem https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem
    printf '%s' "$ROLES_SQL" | psql "$ADMIN_URL" -v ON_ERROR_STOP=1 -v hub_password="$HUB_DB_PASSWORD" -v upload_password="$UPLOAD_DB_PASSWORD" -f -
  EOT
}

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_cloudwatch_log_group" "hub" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default) to bound cost; raise it where an audit requires a year.
  name              = "/natter/${local.name}/hub"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_cloudwatch_log_group" "upload" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default) to bound cost; raise it where an audit requires a year.
  name              = "/natter/${local.name}/upload"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# --- Hub -----------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "hub" {
  family                   = "${local.name}-hub"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.hub_cpu
  memory                   = var.hub_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.hub_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # Writable scratch space; the root file system is read-only.
  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "hub"
    image                  = "${aws_ecr_repository.hub.repository_url}:${var.hub_image_tag}"
    essential              = true
    readonlyRootFilesystem = true
    portMappings           = [{ containerPort = 8088, protocol = "tcp" }]
    environment            = [for k, v in local.hub_environment : { name = k, value = v }]
    secrets                = [for k, v in local.hub_secrets : { name = k, valueFrom = v }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp" }]
    # Time to drain: the hub flushes its group commit and closes sockets on SIGTERM.
    stopTimeout = 30
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8088/readyz || exit 1"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.hub.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "hub"
      }
    }
  }])
}

resource "aws_ecs_service" "hub" {
  name             = "hub"
  cluster          = aws_ecs_cluster.main.id
  task_definition  = aws_ecs_task_definition.hub.arn
  launch_type      = "FARGATE"
  platform_version = "LATEST"

  # One task, never two at once: see the comment at the top of this file.
  desired_count                      = 1
  deployment_maximum_percent         = 100
  deployment_minimum_healthy_percent = 0
  health_check_grace_period_seconds  = 60

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.services.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.hub.arn
    container_name   = "hub"
    container_port   = 8088
  }

  depends_on = [aws_lb_listener.https]
}

# The hub cannot scale out, so instead of a scaling policy it raises alarms when it nears its
# limits: time to give it a bigger task (or to build the cluster broker).
resource "aws_cloudwatch_metric_alarm" "hub_cpu" {
  alarm_name          = "${local.name}-hub-cpu-high"
  alarm_description   = "The single hub task is CPU-bound; raise hub_cpu."
  alarm_actions       = local.alarm_actions
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 300
  evaluation_periods  = 3
  threshold           = 75
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    ClusterName = aws_ecs_cluster.main.name
    ServiceName = aws_ecs_service.hub.name
  }
}

resource "aws_cloudwatch_metric_alarm" "hub_connections" {
  alarm_name          = "${local.name}-hub-connections-high"
  alarm_description   = "Concurrent connections through the ALB (nearly all of them hub WebSockets) approach what one hub task is sized for."
  alarm_actions       = local.alarm_actions
  namespace           = "AWS/ApplicationELB"
  metric_name         = "ActiveConnectionCount"
  # Reported per minute; the Sum of one minute is the number of concurrent connections.
  statistic           = "Sum"
  period              = 60
  evaluation_periods  = 5
  threshold           = var.hub_connection_alarm_threshold
  comparison_operator = "GreaterThanThreshold"
  dimensions = {
    LoadBalancer = aws_lb.main.arn_suffix
  }
}

# --- Database roles (run once after the first apply, and after a password change) --------------

resource "aws_cloudwatch_log_group" "db_setup" {
  #checkov:skip=CKV_AWS_338:Retention is var.log_retention_days (30 days by default) to bound cost; raise it where an audit requires a year.
  name              = "/natter/${local.name}/db-setup"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

# Not a service: started by hand (`terraform output db_setup_command`). It alone reads the
# administrator's URL; it makes natter_hub (owner of the database) and natter_upload.
resource "aws_ecs_task_definition" "db_setup" {
  family                   = "${local.name}-db-setup"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = 256
  memory                   = 512
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.hub_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "db-setup"
    image                  = var.db_setup_image
    essential              = true
    readonlyRootFilesystem = true
    entryPoint             = ["/bin/sh", "-euc"]
    command                = [local.db_setup_script]
    environment            = [{ name = "ROLES_SQL", value = file("${path.module}/../infra/db/roles.sql") }]
    secrets = [
      { name = "ADMIN_URL", valueFrom = aws_secretsmanager_secret.database_admin.arn },
      { name = "HUB_DB_PASSWORD", valueFrom = "${aws_secretsmanager_secret.database_hub.arn}:password::" },
      { name = "UPLOAD_DB_PASSWORD", valueFrom = "${aws_secretsmanager_secret.database_upload.arn}:password::" },
    ]
    mountPoints = [{ sourceVolume = "tmp", containerPath = "/tmp" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.db_setup.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "db-setup"
      }
    }
  }])
}

# --- Upload --------------------------------------------------------------------------------------

resource "aws_ecs_task_definition" "upload" {
  family                   = "${local.name}-upload"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.upload_cpu
  memory                   = var.upload_memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.upload_task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  volume {
    name = "tmp"
  }

  container_definitions = jsonencode([{
    name                   = "upload"
    image                  = "${aws_ecr_repository.upload.repository_url}:${var.upload_image_tag}"
    essential              = true
    readonlyRootFilesystem = true
    portMappings           = [{ containerPort = 8089, protocol = "tcp" }]
    environment            = [for k, v in local.upload_environment : { name = k, value = v }]
    secrets                = [for k, v in local.upload_secrets : { name = k, valueFrom = v }]
    mountPoints            = [{ sourceVolume = "tmp", containerPath = "/tmp" }]
    stopTimeout            = 30
    healthCheck = {
      command     = ["CMD-SHELL", "curl -fsS http://127.0.0.1:8089/readyz || exit 1"]
      interval    = 15
      timeout     = 5
      retries     = 3
      startPeriod = 30
    }
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.upload.name
        awslogs-region        = var.region
        awslogs-stream-prefix = "upload"
      }
    }
  }])
}

resource "aws_ecs_service" "upload" {
  name                              = "upload"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.upload.arn
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  desired_count                     = var.upload_min_tasks
  health_check_grace_period_seconds = 60

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.services.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.upload.arn
    container_name   = "upload"
    container_port   = 8089
  }

  # Autoscaling owns the count after creation.
  lifecycle {
    ignore_changes = [desired_count]
  }

  depends_on = [aws_lb_listener.https]
}

resource "aws_appautoscaling_target" "upload" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.upload.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.upload_min_tasks
  max_capacity       = var.upload_max_tasks
}

resource "aws_appautoscaling_policy" "upload_cpu" {
  name               = "${local.name}-upload-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.upload.service_namespace
  resource_id        = aws_appautoscaling_target.upload.resource_id
  scalable_dimension = aws_appautoscaling_target.upload.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.upload_cpu_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}

resource "aws_appautoscaling_policy" "upload_requests" {
  name               = "${local.name}-upload-requests"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.upload.service_namespace
  resource_id        = aws_appautoscaling_target.upload.resource_id
  scalable_dimension = aws_appautoscaling_target.upload.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.upload_requests_per_target
    scale_in_cooldown  = 300
    scale_out_cooldown = 60

    predefined_metric_specification {
      predefined_metric_type = "ALBRequestCountPerTarget"
      resource_label         = "${aws_lb.main.arn_suffix}/${aws_lb_target_group.upload.arn_suffix}"
    }
  }
}
