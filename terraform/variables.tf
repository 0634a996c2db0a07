# Inputs of the deployment. Only `domain_name` and `certificate_arn` have no default: the rest
# is sized for a small production install and can be tuned in a .tfvars file (see example.tfvars).

variable "project" {
  description = "Short name used as the prefix of every resource."
  type        = string
  default     = "natter"
}

variable "environment" {
  description = "Deployment name (prod, staging, ...), part of every resource name."
  type        = string
  default     = "prod"
}

variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "tags" {
  description = "Extra tags added to every resource."
  type        = map(string)
  default     = {}
}

variable "domain_name" {
  description = "Public host name of the chat (e.g. chat.example.com); the page, the API and the media are served from it."
  type        = string
}

variable "certificate_arn" {
  description = "ARN of an ACM certificate for domain_name, in the same region, used by the HTTPS listener."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone in which to create the alias record for domain_name; empty to manage DNS elsewhere."
  type        = string
  default     = ""
}

variable "vpc_cidr" {
  description = "Address range of the VPC."
  type        = string
  default     = "10.40.0.0/16"
}

variable "az_count" {
  description = "Number of availability zones to spread subnets over (the ALB and Aurora need at least 2)."
  type        = number
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 4
    error_message = "az_count must be between 2 and 4."
  }
}

variable "hub_image_tag" {
  description = "Tag of the hub image in its ECR repository (tags are immutable: use a release or commit id)."
  type        = string
  default     = "v0.1.0"
}

variable "upload_image_tag" {
  description = "Tag of the upload image in its ECR repository (tags are immutable: use a release or commit id)."
  type        = string
  default     = "v0.1.0"
}

variable "db_setup_image" {
  description = "Image of the one-off db-setup task (it needs psql and wget): makes the services' database roles."
  type        = string
  default     = "public.ecr.aws/docker/library/postgres:17-alpine"
}

variable "hub_cpu" {
  description = "CPU units of the hub task (1024 = 1 vCPU). The hub is one task, so size it for the whole load."
  type        = number
  default     = 1024
}

variable "hub_memory" {
  description = "Memory of the hub task, in MiB."
  type        = number
  default     = 2048
}

variable "upload_cpu" {
  description = "CPU units of one upload task (1024 = 1 vCPU)."
  type        = number
  default     = 512
}

variable "upload_memory" {
  description = "Memory of one upload task, in MiB (image decoding is memory-bound)."
  type        = number
  default     = 1024
}

variable "upload_min_tasks" {
  description = "Fewest upload tasks kept running."
  type        = number
  default     = 1
}

variable "upload_max_tasks" {
  description = "Most upload tasks autoscaling may start."
  type        = number
  default     = 6
}

variable "upload_cpu_target" {
  description = "Average CPU utilisation (percent) the upload service is scaled to hold."
  type        = number
  default     = 60
}

variable "upload_requests_per_target" {
  description = "ALB requests per minute per upload task that autoscaling aims for."
  type        = number
  default     = 600
}

variable "hub_connection_alarm_threshold" {
  description = "Concurrent ALB connections above which the single-task hub raises an alarm (it cannot scale out yet)."
  type        = number
  default     = 8000
}

variable "alarm_topic_arn" {
  description = "SNS topic notified by the hub's capacity alarms; empty to only show them in CloudWatch."
  type        = string
  default     = ""
}

variable "alb_idle_timeout" {
  description = "Seconds an idle connection stays open on the ALB; above the hub's heartbeat so WebSockets survive."
  type        = number
  default     = 3600
}

variable "db_engine_version" {
  description = "Aurora PostgreSQL engine version."
  type        = string
  default     = "16.6"
}

variable "db_min_acu" {
  description = "Smallest Aurora Serverless v2 capacity, in ACUs (0.5 ACU is about 1 GiB of memory)."
  type        = number
  default     = 0.5
}

variable "db_max_acu" {
  description = "Largest Aurora Serverless v2 capacity, in ACUs."
  type        = number
  default     = 4
}

variable "db_backup_retention_days" {
  description = "Days of automated Aurora backups kept."
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Protect the load balancer and the database from deletion (set false only to tear down a test stack)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Days CloudWatch keeps service and VPC flow logs."
  type        = number
  default     = 30
}

variable "rust_log" {
  description = "RUST_LOG filter of both services."
  type        = string
  default     = "info"
}
