# What a deployer needs next: where to push images, where the chat is, which bucket holds media.

output "chat_url" {
  description = "The chat page (sign in, then open a conversation)."
  value       = "${local.public_origin}/chat.html"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer; point domain_name at it (CNAME or alias) if route53_zone_id is empty."
  value       = aws_lb.main.dns_name
}

output "media_bucket" {
  description = "Name of the private S3 bucket holding images and voice clips."
  value       = aws_s3_bucket.media.bucket
}

output "hub_repository_url" {
  description = "ECR repository to push the hub image to (tag it with hub_image_tag)."
  value       = aws_ecr_repository.hub.repository_url
}

output "upload_repository_url" {
  description = "ECR repository to push the upload image to (tag it with upload_image_tag)."
  value       = aws_ecr_repository.upload.repository_url
}

output "database_endpoint" {
  description = "Writer endpoint of the Aurora cluster (reachable from inside the VPC only)."
  value       = aws_rds_cluster.main.endpoint
}

output "ecs_cluster" {
  description = "ECS cluster running the hub and upload services."
  value       = aws_ecs_cluster.main.name
}

output "db_setup_command" {
  description = "Runs the db-setup task once (after the first apply, and after changing a database password): it makes the roles natter_hub and natter_upload."
  value       = "aws ecs run-task --region ${var.region} --cluster ${aws_ecs_cluster.main.name} --task-definition ${aws_ecs_task_definition.db_setup.family} --launch-type FARGATE --network-configuration 'awsvpcConfiguration={subnets=[${join(",", aws_subnet.private[*].id)}],securityGroups=[${aws_security_group.services.id}],assignPublicIp=DISABLED}'"
}
