# Copy to prod.tfvars, fill in the first block, then:
#   terraform init && terraform apply -var-file=prod.tfvars

# Required: your host name and an ACM certificate for it in the same region.
domain_name     = "chat.example.com"
certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/00000000-0000-0000-0000-000000000000"

# Optional: let Terraform create the DNS alias in this Route 53 zone.
route53_zone_id = ""

region      = "eu-west-1"
environment = "prod"

# Images pushed to the ECR repositories (see outputs hub_repository_url / upload_repository_url).
hub_image_tag    = "v0.1.0"
upload_image_tag = "v0.1.0"

# Sizing. The hub is a single task: grow it vertically.
hub_cpu          = 1024
hub_memory       = 2048
upload_min_tasks = 1
upload_max_tasks = 6
db_min_acu       = 0.5
db_max_acu       = 4

log_retention_days  = 30
deletion_protection = true
