# Application Load Balancer: TLS ends here; one origin for the page, the API, the WebSocket and the
# media. Path rules send `/api/v1/media*` and `/media/*` to the upload service, the rest to the hub.

resource "aws_lb" "main" {
  #checkov:skip=CKV_AWS_91:Access logs need a second, log-delivery bucket; this stack keeps one bucket. Set access_logs here when request-level audit is required.
  #checkov:skip=CKV2_AWS_28:No WAF by default (fixed monthly cost); the services rate-limit per user. Associate an aws_wafv2_web_acl with this ALB when exposed to abuse.
  #checkov:skip=CKV2_AWS_76:Same as CKV2_AWS_28: no WAF web ACL by default, and no Java (Log4j) anywhere in the stack.
  name               = local.name
  load_balancer_type = "application"
  internal           = false
  security_groups    = [aws_security_group.alb.id]
  subnets            = aws_subnet.public[*].id

  # WebSockets stay open while idle between heartbeats; the default 60 s would cut them.
  idle_timeout               = var.alb_idle_timeout
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection
}

resource "aws_lb_target_group" "hub" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB-to-task traffic stays inside the VPC's private subnets.
  name                 = "${local.name}-hub"
  port                 = 8088
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_target_group" "upload" {
  #checkov:skip=CKV_AWS_378:TLS ends at the ALB; ALB-to-task traffic stays inside the VPC's private subnets.
  name                 = "${local.name}-upload"
  port                 = 8089
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = aws_vpc.main.id
  deregistration_delay = 30

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "https" {
  load_balancer_arn = aws_lb.main.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.hub.arn
  }
}

resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.main.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type = "redirect"

    redirect {
      port        = "443"
      protocol    = "HTTPS"
      status_code = "HTTP_301"
    }
  }
}

resource "aws_lb_listener_rule" "upload" {
  listener_arn = aws_lb_listener.https.arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.upload.arn
  }

  condition {
    path_pattern {
      values = ["/api/v1/media*", "/media/*"]
    }
  }
}

resource "aws_route53_record" "chat" {
  count   = var.route53_zone_id == "" ? 0 : 1
  zone_id = var.route53_zone_id
  name    = var.domain_name
  type    = "A"

  alias {
    name                   = aws_lb.main.dns_name
    zone_id                = aws_lb.main.zone_id
    evaluate_target_health = true
  }
}
