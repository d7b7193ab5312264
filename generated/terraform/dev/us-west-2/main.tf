data "aws_partition" "current" {}

resource "aws_kms_key" "data_key" {
  description         = "infra-gen dev data key (us-west-2)"
  enable_key_rotation = true
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "AccountAdministersKey"
        Effect = "Allow"
        Principal = {
          AWS = "arn:${data.aws_partition.current.partition}:iam::111111111111:root"
        }
        Action   = "kms:*"
        Resource = "*"
      },
      {
        Sid    = "EventBridgeWritesEncryptedDlq"
        Effect = "Allow"
        Principal = {
          Service = "events.amazonaws.com"
        }
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = "*"
      },
      {
        Sid    = "CloudWatchLogsEncryptsLogGroups"
        Effect = "Allow"
        Principal = {
          Service = "logs.us-west-2.amazonaws.com"
        }
        Action   = ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:DescribeKey"]
        Resource = "*"
        Condition = {
          ArnLike = {
            "kms:EncryptionContext:aws:logs:arn" = "arn:aws:logs:us-west-2:111111111111:log-group:*"
          }
        }
      },
    ]
  })
}

resource "aws_kms_alias" "data_key_alias" {
  name          = "alias/infra-gen-dev-data"
  target_key_id = aws_kms_key.data_key.arn
}

resource "aws_sqs_queue" "stream_failure_dlq" {
  name                              = "infra-gen-dev-stream-failures"
  kms_master_key_id                 = aws_kms_key.data_key.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
}

resource "aws_sqs_queue" "events_dlq" {
  name                              = "infra-gen-dev-events-dlq"
  kms_master_key_id                 = aws_kms_key.data_key.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
}

resource "aws_sqs_queue" "cdc_dlq" {
  name                              = "infra-gen-dev-cdc-dlq"
  kms_master_key_id                 = aws_kms_key.data_key.arn
  kms_data_key_reuse_period_seconds = 300
  message_retention_seconds         = 1209600
}

resource "aws_dynamodb_table" "events_table" {
  name                        = "infra-gen-dev-events"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  range_key                   = "sk"
  stream_enabled              = true
  stream_view_type            = "NEW_AND_OLD_IMAGES"
  deletion_protection_enabled = false
  attribute {
    name = "pk"
    type = "S"
  }
  attribute {
    name = "sk"
    type = "S"
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data_key.arn
  }
  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }
}

resource "aws_dynamodb_table" "cdc_state_table" {
  name                        = "infra-gen-dev-cdc-state"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = false
  attribute {
    name = "pk"
    type = "S"
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data_key.arn
  }
  ttl {
    attribute_name = "_expires"
    enabled        = true
  }
}

resource "aws_dynamodb_table" "idempotency_table" {
  name                        = "infra-gen-dev-idempotency"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = false
  attribute {
    name = "pk"
    type = "S"
  }
  point_in_time_recovery {
    enabled = true
  }
  server_side_encryption {
    enabled     = true
    kms_key_arn = aws_kms_key.data_key.arn
  }
  ttl {
    attribute_name = "expiresAt"
    enabled        = true
  }
}

resource "aws_cloudwatch_event_bus" "bus" {
  name = "infra-gen-dev"
}

resource "aws_secretsmanager_secret" "jwt_signing_key" {
  #checkov:skip=CKV2_AWS_57:The JWT signing key is rotated by the key-rotation runbook (the authorizer must accept old and new keys during a rotation); no rotation Lambda is deployed
  # The value (64 alphanumeric characters in CloudFormation, which generates it) is
  # set out of band, so that it never enters the Terraform state.
  name        = "infra-gen/dev/jwt-signing-key"
  description = "JWT signing key for the infra-gen dev API authorizer"
  kms_key_id  = aws_kms_key.data_key.arn
}

resource "aws_api_gateway_rest_api" "api" {
  name        = "infra-gen-dev-api"
  description = "infra-gen dev API (us-west-2)"
  endpoint_configuration {
    types = ["REGIONAL"]
  }
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "event_router_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment in the spec; non-production environments keep logs for less than a year by design
  name              = "/aws/lambda/infra-gen-dev-event-router"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.data_key.arn
}

resource "aws_iam_role" "event_router_role" {
  name        = "infra-gen-dev-us-west-2-event-router"
  description = "Execution role of infra-gen-dev-event-router"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "lambda.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "event_router_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.event_router_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.event_router_logs.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.events_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = aws_cloudwatch_event_bus.bus.arn
      },
      {
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = "arn:aws:events:us-east-1:111111111111:event-bus/infra-gen-dev"
      },
    ]
  })
}

resource "aws_lambda_function" "event_router" {
  #checkov:skip=CKV_AWS_117:The functions call only regional AWS APIs and the peer region's bus; there is nothing in a VPC to reach, and a VPC would add NAT cost and cold-start latency without reducing exposure
  #checkov:skip=CKV_AWS_272:Code is content-addressed: the S3 key is the sha256 of the sources, lockfile and build settings, and infra-gen package verifies it; AWS Signer signing is a tracked follow-up
  function_name                  = "infra-gen-dev-event-router"
  description                    = "infra-gen event-router (dev)"
  role                           = aws_iam_role.event_router_role.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  memory_size                    = 512
  timeout                        = 30
  reserved_concurrent_executions = 10
  s3_bucket                      = aws_s3_object.event_router_code.bucket
  s3_key                         = aws_s3_object.event_router_code.key
  s3_object_version              = aws_s3_object.event_router_code.version_id
  kms_key_arn                    = aws_kms_key.data_key.arn
  environment {
    variables = {
      STAGE                       = "dev"
      LOG_LEVEL                   = "debug"
      PEER_REGION                 = "us-east-1"
      EVENT_BUS_NAME              = aws_cloudwatch_event_bus.bus.name
      PEER_EVENT_BUS_ARN          = "arn:aws:events:us-east-1:111111111111:event-bus/infra-gen-dev"
      DLQ_URL                     = aws_sqs_queue.events_dlq.url
      COMPRESSION_THRESHOLD_BYTES = "8192"
      CIRCUIT_FAILURE_THRESHOLD   = "5"
      CIRCUIT_OPEN_SECONDS        = "30"
    }
  }
  tracing_config {
    mode = "Active"
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.event_router_logs.name
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.events_dlq.arn
  }
  depends_on = [aws_iam_role_policy.event_router_role_policy]
}

resource "aws_cloudwatch_log_group" "stream_processor_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment in the spec; non-production environments keep logs for less than a year by design
  name              = "/aws/lambda/infra-gen-dev-stream-processor"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.data_key.arn
}

resource "aws_iam_role" "stream_processor_role" {
  name        = "infra-gen-dev-us-west-2-stream-processor"
  description = "Execution role of infra-gen-dev-stream-processor"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "lambda.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "stream_processor_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.stream_processor_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.stream_processor_logs.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = aws_dynamodb_table.events_table.stream_arn
      },
      {
        Effect   = "Allow"
        Action   = "dynamodb:ListStreams"
        Resource = "${aws_dynamodb_table.events_table.arn}/stream/*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem", "dynamodb:PutItem"]
        Resource = aws_dynamodb_table.idempotency_table.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.stream_failure_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = aws_cloudwatch_event_bus.bus.arn
      },
    ]
  })
}

resource "aws_lambda_function" "stream_processor" {
  #checkov:skip=CKV_AWS_117:The functions call only regional AWS APIs and the peer region's bus; there is nothing in a VPC to reach, and a VPC would add NAT cost and cold-start latency without reducing exposure
  #checkov:skip=CKV_AWS_272:Code is content-addressed: the S3 key is the sha256 of the sources, lockfile and build settings, and infra-gen package verifies it; AWS Signer signing is a tracked follow-up
  #checkov:skip=CKV_AWS_116:Invoked synchronously (API Gateway, or the DynamoDB stream mapping whose failures go to its on-failure queue); a function DLQ only receives failed asynchronous invocations
  function_name                  = "infra-gen-dev-stream-processor"
  description                    = "infra-gen stream-processor (dev)"
  role                           = aws_iam_role.stream_processor_role.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  memory_size                    = 512
  timeout                        = 60
  reserved_concurrent_executions = 5
  s3_bucket                      = aws_s3_object.stream_processor_code.bucket
  s3_key                         = aws_s3_object.stream_processor_code.key
  s3_object_version              = aws_s3_object.stream_processor_code.version_id
  kms_key_arn                    = aws_kms_key.data_key.arn
  environment {
    variables = {
      STAGE                  = "dev"
      LOG_LEVEL              = "debug"
      EVENT_BUS_NAME         = aws_cloudwatch_event_bus.bus.name
      EVENTS_TABLE_NAME      = aws_dynamodb_table.events_table.name
      IDEMPOTENCY_TABLE_NAME = aws_dynamodb_table.idempotency_table.name
    }
  }
  tracing_config {
    mode = "Active"
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.stream_processor_logs.name
  }
  depends_on = [aws_iam_role_policy.stream_processor_role_policy]
}

resource "aws_cloudwatch_log_group" "event_transformer_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment in the spec; non-production environments keep logs for less than a year by design
  name              = "/aws/lambda/infra-gen-dev-event-transformer"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.data_key.arn
}

resource "aws_iam_role" "event_transformer_role" {
  name        = "infra-gen-dev-us-west-2-event-transformer"
  description = "Execution role of infra-gen-dev-event-transformer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "lambda.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "event_transformer_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.event_transformer_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.event_transformer_logs.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.events_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = aws_dynamodb_table.events_table.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = aws_cloudwatch_event_bus.bus.arn
      },
    ]
  })
}

resource "aws_lambda_function" "event_transformer" {
  #checkov:skip=CKV_AWS_117:The functions call only regional AWS APIs and the peer region's bus; there is nothing in a VPC to reach, and a VPC would add NAT cost and cold-start latency without reducing exposure
  #checkov:skip=CKV_AWS_272:Code is content-addressed: the S3 key is the sha256 of the sources, lockfile and build settings, and infra-gen package verifies it; AWS Signer signing is a tracked follow-up
  function_name                  = "infra-gen-dev-event-transformer"
  description                    = "infra-gen event-transformer (dev)"
  role                           = aws_iam_role.event_transformer_role.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  memory_size                    = 256
  timeout                        = 30
  reserved_concurrent_executions = 5
  s3_bucket                      = aws_s3_object.event_transformer_code.bucket
  s3_key                         = aws_s3_object.event_transformer_code.key
  s3_object_version              = aws_s3_object.event_transformer_code.version_id
  kms_key_arn                    = aws_kms_key.data_key.arn
  environment {
    variables = {
      STAGE             = "dev"
      LOG_LEVEL         = "debug"
      EVENT_BUS_NAME    = aws_cloudwatch_event_bus.bus.name
      EVENTS_TABLE_NAME = aws_dynamodb_table.events_table.name
      DLQ_URL           = aws_sqs_queue.events_dlq.url
    }
  }
  tracing_config {
    mode = "Active"
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.event_transformer_logs.name
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.events_dlq.arn
  }
  depends_on = [aws_iam_role_policy.event_transformer_role_policy]
}

resource "aws_cloudwatch_log_group" "health_checker_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment in the spec; non-production environments keep logs for less than a year by design
  name              = "/aws/lambda/infra-gen-dev-health-checker"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.data_key.arn
}

resource "aws_iam_role" "health_checker_role" {
  name        = "infra-gen-dev-us-west-2-health-checker"
  description = "Execution role of infra-gen-dev-health-checker"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "lambda.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "health_checker_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.health_checker_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.health_checker_logs.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.events_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "dynamodb:DescribeTable"
        Resource = aws_dynamodb_table.events_table.arn
      },
      {
        Effect   = "Allow"
        Action   = ["dynamodb:BatchWriteItem", "dynamodb:DeleteItem", "dynamodb:PutItem", "dynamodb:UpdateItem"]
        Resource = aws_dynamodb_table.events_table.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "events:DescribeEventBus"
        Resource = aws_cloudwatch_event_bus.bus.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:GetQueueAttributes"
        Resource = aws_sqs_queue.stream_failure_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:GetQueueAttributes"
        Resource = aws_sqs_queue.events_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:GetQueueAttributes"
        Resource = aws_sqs_queue.cdc_dlq.arn
      },
    ]
  })
}

resource "aws_lambda_function" "health_checker" {
  #checkov:skip=CKV_AWS_117:The functions call only regional AWS APIs and the peer region's bus; there is nothing in a VPC to reach, and a VPC would add NAT cost and cold-start latency without reducing exposure
  #checkov:skip=CKV_AWS_272:Code is content-addressed: the S3 key is the sha256 of the sources, lockfile and build settings, and infra-gen package verifies it; AWS Signer signing is a tracked follow-up
  function_name                  = "infra-gen-dev-health-checker"
  description                    = "infra-gen health-checker (dev)"
  role                           = aws_iam_role.health_checker_role.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  memory_size                    = 128
  timeout                        = 10
  reserved_concurrent_executions = 2
  s3_bucket                      = aws_s3_object.health_checker_code.bucket
  s3_key                         = aws_s3_object.health_checker_code.key
  s3_object_version              = aws_s3_object.health_checker_code.version_id
  kms_key_arn                    = aws_kms_key.data_key.arn
  environment {
    variables = {
      STAGE               = "dev"
      LOG_LEVEL           = "debug"
      PEER_REGION         = "us-east-1"
      EVENTS_TABLE_NAME   = aws_dynamodb_table.events_table.name
      EVENT_BUS_NAME      = aws_cloudwatch_event_bus.bus.name
      HEALTH_DLQ_URLS     = "${aws_sqs_queue.stream_failure_dlq.url},${aws_sqs_queue.events_dlq.url},https://sqs.us-west-2.amazonaws.com/111111111111/infra-gen-dev-cdc-dlq"
      DLQ_DEPTH_THRESHOLD = "10"
      PEER_TIMEOUT_MS     = "2000"
      PEER_HEALTH_URL     = "https://api.dev.us-east-1.example.com/dev/live"
    }
  }
  tracing_config {
    mode = "Active"
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.health_checker_logs.name
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.events_dlq.arn
  }
  depends_on = [aws_iam_role_policy.health_checker_role_policy]
}

resource "aws_cloudwatch_log_group" "authorizer_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment in the spec; non-production environments keep logs for less than a year by design
  name              = "/aws/lambda/infra-gen-dev-authorizer"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.data_key.arn
}

resource "aws_iam_role" "authorizer_role" {
  name        = "infra-gen-dev-us-west-2-authorizer"
  description = "Execution role of infra-gen-dev-authorizer"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "lambda.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "authorizer_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.authorizer_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.authorizer_logs.arn}:*"
      },
      {
        Effect   = "Allow"
        Action   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
        Resource = "*"
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = ["secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue"]
        Resource = aws_secretsmanager_secret.jwt_signing_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "kms:Decrypt"
        Resource = aws_kms_key.data_key.arn
      },
    ]
  })
}

resource "aws_lambda_function" "authorizer" {
  #checkov:skip=CKV_AWS_117:The functions call only regional AWS APIs and the peer region's bus; there is nothing in a VPC to reach, and a VPC would add NAT cost and cold-start latency without reducing exposure
  #checkov:skip=CKV_AWS_272:Code is content-addressed: the S3 key is the sha256 of the sources, lockfile and build settings, and infra-gen package verifies it; AWS Signer signing is a tracked follow-up
  #checkov:skip=CKV_AWS_116:Invoked synchronously (API Gateway, or the DynamoDB stream mapping whose failures go to its on-failure queue); a function DLQ only receives failed asynchronous invocations
  function_name                  = "infra-gen-dev-authorizer"
  description                    = "infra-gen authorizer (dev)"
  role                           = aws_iam_role.authorizer_role.arn
  runtime                        = "provided.al2023"
  handler                        = "bootstrap"
  architectures                  = ["arm64"]
  memory_size                    = 128
  timeout                        = 5
  reserved_concurrent_executions = 5
  s3_bucket                      = aws_s3_object.authorizer_code.bucket
  s3_key                         = aws_s3_object.authorizer_code.key
  s3_object_version              = aws_s3_object.authorizer_code.version_id
  kms_key_arn                    = aws_kms_key.data_key.arn
  environment {
    variables = {
      STAGE               = "dev"
      LOG_LEVEL           = "debug"
      JWT_POLICY_RESOURCE = "arn:aws:execute-api:us-west-2:111111111111:${aws_api_gateway_rest_api.api.id}/dev/*"
      JWT_SECRET_ARN      = aws_secretsmanager_secret.jwt_signing_key.arn
      JWT_ISSUER          = "https://auth.example.com/"
      JWT_AUDIENCE        = "infra-gen-api"
    }
  }
  tracing_config {
    mode = "Active"
  }
  logging_config {
    log_format = "JSON"
    log_group  = aws_cloudwatch_log_group.authorizer_logs.name
  }
  depends_on = [aws_iam_role_policy.authorizer_role_policy]
}

resource "aws_lambda_event_source_mapping" "stream_processor_event_source" {
  function_name                  = aws_lambda_function.stream_processor.function_name
  event_source_arn               = aws_dynamodb_table.events_table.stream_arn
  starting_position              = "TRIM_HORIZON"
  batch_size                     = 100
  bisect_batch_on_function_error = true
  maximum_retry_attempts         = 3
  maximum_record_age_in_seconds  = 3600
  parallelization_factor         = 1
  function_response_types        = ["ReportBatchItemFailures"]
  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failure_dlq.arn
    }
  }
}

resource "aws_secretsmanager_secret_policy" "jwt_signing_key_policy" {
  secret_arn = aws_secretsmanager_secret.jwt_signing_key.arn
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "OnlyTheAuthorizerReads"
        Effect = "Deny"
        Principal = {
          AWS = "*"
        }
        Action   = "secretsmanager:GetSecretValue"
        Resource = "*"
        Condition = {
          StringNotEquals = {
            "aws:PrincipalArn" = "arn:aws:iam::111111111111:role/infra-gen-dev-us-west-2-authorizer"
          }
        }
      },
    ]
  })
  block_public_policy = true
}

resource "aws_cloudwatch_event_rule" "transform_rule" {
  name           = "infra-gen-dev-transform"
  description    = "Route by detail-type to event-transformer"
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  event_pattern = jsonencode({
    "detail-type" = ["OrderCreated", "CustomerUpdated"]
    source = [
      {
        "anything-but" = ["platform.event-transformer"]
      },
    ]
  })
  state = "ENABLED"
}

resource "aws_cloudwatch_event_target" "transform_rule_infra_gen_dev_event_transformer" {
  rule           = aws_cloudwatch_event_rule.transform_rule.name
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  target_id      = "InfraGenDevEventTransformer"
  arn            = aws_lambda_function.event_transformer.arn
  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
  retry_policy {
    maximum_event_age_in_seconds = 7200
    maximum_retry_attempts       = 4
  }
}

resource "aws_lambda_permission" "transform_rule_permission" {
  statement_id  = "TransformRulePermission"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.event_transformer.arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.transform_rule.arn
}

resource "aws_cloudwatch_event_rule" "route_rule" {
  name           = "infra-gen-dev-route"
  description    = "Events needing routing decisions go to event-router"
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  event_pattern = jsonencode({
    "detail-type" = ["route.request"]
  })
  state = "ENABLED"
}

resource "aws_cloudwatch_event_target" "route_rule_infra_gen_dev_event_router" {
  rule           = aws_cloudwatch_event_rule.route_rule.name
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  target_id      = "InfraGenDevEventRouter"
  arn            = aws_lambda_function.event_router.arn
  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
  retry_policy {
    maximum_event_age_in_seconds = 7200
    maximum_retry_attempts       = 4
  }
}

resource "aws_lambda_permission" "route_rule_permission" {
  statement_id  = "RouteRulePermission"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.event_router.arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.route_rule.arn
}

resource "aws_cloudwatch_event_rule" "health_check_schedule" {
  name                = "infra-gen-dev-health-schedule"
  description         = "Run health-checker on its schedule"
  schedule_expression = "rate(1 minute)"
  state               = "ENABLED"
}

resource "aws_cloudwatch_event_target" "health_check_schedule_infra_gen_dev_health_checker" {
  rule      = aws_cloudwatch_event_rule.health_check_schedule.name
  target_id = "InfraGenDevHealthChecker"
  arn       = aws_lambda_function.health_checker.arn
  retry_policy {
    maximum_retry_attempts = 0
  }
}

resource "aws_lambda_permission" "health_check_schedule_permission" {
  statement_id  = "HealthCheckSchedulePermission"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.health_checker.arn
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.health_check_schedule.arn
}

resource "aws_iam_role" "cross_region_forward_rule_role" {
  name        = "infra-gen-dev-us-west-2-forward"
  description = "EventBridge forwards replicated events to us-east-1"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Service = "events.amazonaws.com"
        }
        Action = "sts:AssumeRole"
      },
    ]
  })
}

resource "aws_iam_role_policy" "cross_region_forward_rule_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.cross_region_forward_rule_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = "events:PutEvents"
        Resource = "arn:aws:events:us-east-1:111111111111:event-bus/infra-gen-dev"
      },
    ]
  })
}

resource "aws_cloudwatch_event_rule" "cross_region_forward_rule" {
  name           = "infra-gen-dev-forward-to-us-east-1"
  description    = "Forward locally originated replicated events to us-east-1"
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  event_pattern = jsonencode({
    detail = {
      replicate    = [true]
      originRegion = ["us-west-2"]
    }
  })
  state = "ENABLED"
}

resource "aws_cloudwatch_event_target" "cross_region_forward_rule_peer_bus" {
  rule           = aws_cloudwatch_event_rule.cross_region_forward_rule.name
  event_bus_name = aws_cloudwatch_event_bus.bus.name
  target_id      = "PeerBus"
  arn            = "arn:aws:events:us-east-1:111111111111:event-bus/infra-gen-dev"
  role_arn       = aws_iam_role.cross_region_forward_rule_role.arn
  dead_letter_config {
    arn = aws_sqs_queue.events_dlq.arn
  }
}

resource "aws_sqs_queue_policy" "events_dlq_policy" {
  queue_url = aws_sqs_queue.events_dlq.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "DenyInsecureTransport"
        Effect = "Deny"
        Principal = {
          AWS = "*"
        }
        Action   = "sqs:*"
        Resource = aws_sqs_queue.events_dlq.arn
        Condition = {
          Bool = {
            "aws:SecureTransport" = "false"
          }
        }
      },
      {
        Sid    = "EventBridgeRulesDeadLetter"
        Effect = "Allow"
        Principal = {
          Service = "events.amazonaws.com"
        }
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.events_dlq.arn
        Condition = {
          ArnEquals = {
            "aws:SourceArn" = [aws_cloudwatch_event_rule.transform_rule.arn, aws_cloudwatch_event_rule.route_rule.arn, aws_cloudwatch_event_rule.cross_region_forward_rule.arn]
          }
        }
      },
    ]
  })
}

resource "aws_sqs_queue_policy" "stream_failure_dlq_policy" {
  queue_url = aws_sqs_queue.stream_failure_dlq.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "DenyInsecureTransport"
        Effect = "Deny"
        Principal = {
          AWS = "*"
        }
        Action   = "sqs:*"
        Resource = aws_sqs_queue.stream_failure_dlq.arn
        Condition = {
          Bool = {
            "aws:SecureTransport" = "false"
          }
        }
      },
    ]
  })
}

resource "aws_sqs_queue_policy" "cdc_dlq_policy" {
  queue_url = aws_sqs_queue.cdc_dlq.url
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid    = "DenyInsecureTransport"
        Effect = "Deny"
        Principal = {
          AWS = "*"
        }
        Action   = "sqs:*"
        Resource = aws_sqs_queue.cdc_dlq.arn
        Condition = {
          Bool = {
            "aws:SecureTransport" = "false"
          }
        }
      },
    ]
  })
}

resource "aws_api_gateway_resource" "api_health" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "health"
}

resource "aws_api_gateway_authorizer" "token_authorizer" {
  name                             = "infra-gen-dev-jwt"
  rest_api_id                      = aws_api_gateway_rest_api.api.id
  type                             = "TOKEN"
  identity_source                  = "method.request.header.Authorization"
  authorizer_result_ttl_in_seconds = 0
  authorizer_uri                   = aws_lambda_function.authorizer.invoke_arn
}

resource "aws_api_gateway_method" "api_health_get" {
  #checkov:skip=CKV2_AWS_53:GET /health takes no body or parameters; the TOKEN authorizer validates the only input, the Authorization header
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.api_health.id
  http_method   = "GET"
  authorization = "CUSTOM"
  authorizer_id = aws_api_gateway_authorizer.token_authorizer.id
}

resource "aws_api_gateway_integration" "api_health_get_integration" {
  #checkov:skip=CKV2_AWS_53:GET /health takes no body or parameters; the TOKEN authorizer validates the only input, the Authorization header
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.api_health.id
  http_method             = aws_api_gateway_method.api_health_get.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.health_checker.invoke_arn
}

resource "aws_lambda_permission" "api_health_get_permission" {
  statement_id  = "ApiHealthGETPermission"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.health_checker.arn
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:${data.aws_partition.current.partition}:execute-api:us-west-2:111111111111:${aws_api_gateway_rest_api.api.id}/dev/GET/health"
}

resource "aws_lambda_permission" "token_authorizer_permission" {
  statement_id  = "TokenAuthorizerPermission"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.authorizer.arn
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:${data.aws_partition.current.partition}:execute-api:us-west-2:111111111111:${aws_api_gateway_rest_api.api.id}/authorizers/${aws_api_gateway_authorizer.token_authorizer.id}"
}

resource "aws_api_gateway_resource" "api_live" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  parent_id   = aws_api_gateway_rest_api.api.root_resource_id
  path_part   = "live"
}

resource "aws_api_gateway_method" "api_live_get" {
  #checkov:skip=CKV_AWS_59:GET /live is the Route 53 health check's target, and Route 53 cannot send credentials; it answers only the region's status word, caches nothing and has its own low throttle
  #checkov:skip=CKV2_AWS_53:GET /live reads no body, header or parameter: there is no input to validate
  rest_api_id   = aws_api_gateway_rest_api.api.id
  resource_id   = aws_api_gateway_resource.api_live.id
  http_method   = "GET"
  authorization = "NONE"
}

resource "aws_api_gateway_integration" "api_live_get_integration" {
  #checkov:skip=CKV_AWS_59:GET /live is the Route 53 health check's target, and Route 53 cannot send credentials; it answers only the region's status word, caches nothing and has its own low throttle
  #checkov:skip=CKV2_AWS_53:GET /live reads no body, header or parameter: there is no input to validate
  rest_api_id             = aws_api_gateway_rest_api.api.id
  resource_id             = aws_api_gateway_resource.api_live.id
  http_method             = aws_api_gateway_method.api_live_get.http_method
  type                    = "AWS_PROXY"
  integration_http_method = "POST"
  uri                     = aws_lambda_function.health_checker.invoke_arn
}

resource "aws_lambda_permission" "api_live_get_permission" {
  statement_id  = "ApiLiveGETPermission"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.health_checker.arn
  principal     = "apigateway.amazonaws.com"
  source_arn    = "arn:${data.aws_partition.current.partition}:execute-api:us-west-2:111111111111:${aws_api_gateway_rest_api.api.id}/dev/GET/live"
}

resource "aws_api_gateway_deployment" "api_deployment" {
  rest_api_id = aws_api_gateway_rest_api.api.id
  description = "GET /health CUSTOM, GET /live NONE"
  triggers = {
    redeployment = "GET /health CUSTOM, GET /live NONE"
  }
  depends_on = [aws_api_gateway_method.api_health_get, aws_api_gateway_integration.api_health_get_integration, aws_api_gateway_method.api_live_get, aws_api_gateway_integration.api_live_get_integration]
  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_cloudwatch_log_group" "api_access_logs" {
  #checkov:skip=CKV_AWS_338:Retention is set per environment in the spec; non-production environments keep logs for less than a year by design
  name              = "/aws/apigateway/infra-gen-dev-api"
  retention_in_days = 7
  kms_key_id        = aws_kms_key.data_key.arn
}

resource "aws_api_gateway_stage" "api_stage" {
  #checkov:skip=CKV_AWS_120:GET /health must report live status, so responses are not cached; the authorizer's result cache covers the expensive path
  #checkov:skip=CKV_AWS_225:Caching is off (see CKV_AWS_120), so there is no cache to encrypt
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda proxy
  #checkov:skip=CKV2_AWS_29:The API serves read-only, throttled endpoints: GET /health authorized, GET /live open with its own low throttle and a status word as its only output; a WebACL is an account-level decision outside this stack
  stage_name           = "dev"
  rest_api_id          = aws_api_gateway_rest_api.api.id
  deployment_id        = aws_api_gateway_deployment.api_deployment.id
  xray_tracing_enabled = true
  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api_access_logs.arn
    format          = "{\"requestId\":\"$context.requestId\",\"ip\":\"$context.identity.sourceIp\",\"requestTime\":\"$context.requestTime\",\"httpMethod\":\"$context.httpMethod\",\"resourcePath\":\"$context.resourcePath\",\"status\":\"$context.status\",\"protocol\":\"$context.protocol\",\"responseLength\":\"$context.responseLength\"}"
  }
}

resource "aws_api_gateway_method_settings" "api_stage_settings" {
  #checkov:skip=CKV_AWS_120:GET /health must report live status, so responses are not cached; the authorizer's result cache covers the expensive path
  #checkov:skip=CKV_AWS_225:Caching is off (see CKV_AWS_120), so there is no cache to encrypt
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda proxy
  #checkov:skip=CKV2_AWS_29:The API serves read-only, throttled endpoints: GET /health authorized, GET /live open with its own low throttle and a status word as its only output; a WebACL is an account-level decision outside this stack
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.api_stage.stage_name
  method_path = "*/*"
  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    throttling_rate_limit  = 50
    throttling_burst_limit = 100
  }
}

resource "aws_api_gateway_method_settings" "api_stage_live_get_settings" {
  #checkov:skip=CKV_AWS_120:GET /health must report live status, so responses are not cached; the authorizer's result cache covers the expensive path
  #checkov:skip=CKV_AWS_225:Caching is off (see CKV_AWS_120), so there is no cache to encrypt
  #checkov:skip=CKV2_AWS_51:Client certificates authenticate API Gateway to HTTP backends; the only integration is a Lambda proxy
  #checkov:skip=CKV2_AWS_29:The API serves read-only, throttled endpoints: GET /health authorized, GET /live open with its own low throttle and a status word as its only output; a WebACL is an account-level decision outside this stack
  rest_api_id = aws_api_gateway_rest_api.api.id
  stage_name  = aws_api_gateway_stage.api_stage.stage_name
  method_path = "live/GET"
  settings {
    metrics_enabled        = true
    logging_level          = "ERROR"
    throttling_rate_limit  = 10
    throttling_burst_limit = 20
  }
}

resource "aws_iam_role" "consumer_role" {
  name        = "infra-gen-dev-us-west-2-cdc-consumer"
  description = "IRSA role of the CDC consumer (dev, us-west-2)"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect = "Allow"
        Principal = {
          Federated = "arn:${data.aws_partition.current.partition}:iam::111111111111:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/D3V0000000000000000000000000USW2"
        }
        Action = "sts:AssumeRoleWithWebIdentity"
        Condition = {
          StringEquals = {
            "oidc.eks.us-west-2.amazonaws.com/id/D3V0000000000000000000000000USW2:sub" = "system:serviceaccount:cdc:cdc-consumer"
            "oidc.eks.us-west-2.amazonaws.com/id/D3V0000000000000000000000000USW2:aud" = "sts.amazonaws.com"
          }
        }
      },
    ]
  })
}

resource "aws_iam_role_policy" "consumer_role_policy" {
  name = "least-privilege"
  role = aws_iam_role.consumer_role.name
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect   = "Allow"
        Action   = ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem", "dynamodb:ConditionCheckItem", "dynamodb:DeleteItem", "dynamodb:DescribeTable", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"]
        Resource = aws_dynamodb_table.cdc_state_table.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
      {
        Effect   = "Allow"
        Action   = "sqs:SendMessage"
        Resource = aws_sqs_queue.cdc_dlq.arn
      },
      {
        Effect   = "Allow"
        Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
        Resource = aws_kms_key.data_key.arn
      },
    ]
  })
}

resource "aws_ecr_repository" "consumer_image_repository" {
  name                 = "infra-gen/cdc-consumer"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
  image_scanning_configuration {
    scan_on_push = true
  }
  encryption_configuration {
    encryption_type = "KMS"
    kms_key         = aws_kms_key.data_key.arn
  }
}

resource "aws_ecr_lifecycle_policy" "consumer_image_repository_lifecycle" {
  repository = aws_ecr_repository.consumer_image_repository.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the 30 most recent images"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = 30
        }
        action = {
          type = "expire"
        }
      },
    ]
  })
}

resource "aws_cloudwatch_metric_alarm" "stream_failure_dlq_depth_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-StreamFailureDlq-depth"
  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.stream_failure_dlq.name
  }
  statistic           = "Maximum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "events_dlq_depth_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-EventsDlq-depth"
  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.events_dlq.name
  }
  statistic           = "Maximum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "cdc_dlq_depth_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-CdcDlq-depth"
  namespace   = "AWS/SQS"
  metric_name = "ApproximateNumberOfMessagesVisible"
  dimensions = {
    QueueName = aws_sqs_queue.cdc_dlq.name
  }
  statistic           = "Maximum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "event_router_errors_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-event-router-errors"
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.event_router.function_name
  }
  statistic           = "Sum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "stream_processor_errors_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-stream-processor-errors"
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.stream_processor.function_name
  }
  statistic           = "Sum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "event_transformer_errors_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-event-transformer-errors"
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.event_transformer.function_name
  }
  statistic           = "Sum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "health_checker_errors_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-health-checker-errors"
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.health_checker.function_name
  }
  statistic           = "Sum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_metric_alarm" "authorizer_errors_alarm" {
  alarm_name  = "infra-gen-dev-us-west-2-authorizer-errors"
  namespace   = "AWS/Lambda"
  metric_name = "Errors"
  dimensions = {
    FunctionName = aws_lambda_function.authorizer.function_name
  }
  statistic           = "Sum"
  period              = 300
  threshold           = 10
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
}

resource "aws_cloudwatch_dashboard" "functions_dashboard" {
  dashboard_name = "infra-gen-dev-us-west-2-functions"
  dashboard_body = jsonencode({
    widgets = [
      {
        type   = "text"
        x      = 0
        y      = 0
        width  = 24
        height = 2
        properties = {
          markdown = "## dev functions (us-west-2)\nWhat each alarm and alert means: [runbooks](https://github.com/example-org/infra-gen/blob/main/docs/runbooks/alerts.md). Both regions, the consumer and more: the Grafana dashboards in `generated/observability/dev/`."
        }
      },
      {
        type = "metric"
        properties = {
          title   = "Invocations"
          view    = "timeSeries"
          stacked = false
          stat    = "Sum"
          period  = 300
          metrics = [
            [
              "AWS/Lambda",
              "Invocations",
              "FunctionName",
              "infra-gen-dev-event-router",
              {
                label = "event-router"
              },
            ],
            [
              "AWS/Lambda",
              "Invocations",
              "FunctionName",
              "infra-gen-dev-stream-processor",
              {
                label = "stream-processor"
              },
            ],
            [
              "AWS/Lambda",
              "Invocations",
              "FunctionName",
              "infra-gen-dev-event-transformer",
              {
                label = "event-transformer"
              },
            ],
            [
              "AWS/Lambda",
              "Invocations",
              "FunctionName",
              "infra-gen-dev-health-checker",
              {
                label = "health-checker"
              },
            ],
            [
              "AWS/Lambda",
              "Invocations",
              "FunctionName",
              "infra-gen-dev-authorizer",
              {
                label = "authorizer"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 0
        y      = 2
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Errors"
          view    = "timeSeries"
          stacked = false
          stat    = "Sum"
          period  = 300
          metrics = [
            [
              "AWS/Lambda",
              "Errors",
              "FunctionName",
              "infra-gen-dev-event-router",
              {
                label = "event-router"
              },
            ],
            [
              "AWS/Lambda",
              "Errors",
              "FunctionName",
              "infra-gen-dev-stream-processor",
              {
                label = "stream-processor"
              },
            ],
            [
              "AWS/Lambda",
              "Errors",
              "FunctionName",
              "infra-gen-dev-event-transformer",
              {
                label = "event-transformer"
              },
            ],
            [
              "AWS/Lambda",
              "Errors",
              "FunctionName",
              "infra-gen-dev-health-checker",
              {
                label = "health-checker"
              },
            ],
            [
              "AWS/Lambda",
              "Errors",
              "FunctionName",
              "infra-gen-dev-authorizer",
              {
                label = "authorizer"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 12
        y      = 2
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Duration p99 (ms)"
          view    = "timeSeries"
          stacked = false
          stat    = "p99"
          period  = 300
          metrics = [
            [
              "AWS/Lambda",
              "Duration",
              "FunctionName",
              "infra-gen-dev-event-router",
              {
                label = "event-router"
              },
            ],
            [
              "AWS/Lambda",
              "Duration",
              "FunctionName",
              "infra-gen-dev-stream-processor",
              {
                label = "stream-processor"
              },
            ],
            [
              "AWS/Lambda",
              "Duration",
              "FunctionName",
              "infra-gen-dev-event-transformer",
              {
                label = "event-transformer"
              },
            ],
            [
              "AWS/Lambda",
              "Duration",
              "FunctionName",
              "infra-gen-dev-health-checker",
              {
                label = "health-checker"
              },
            ],
            [
              "AWS/Lambda",
              "Duration",
              "FunctionName",
              "infra-gen-dev-authorizer",
              {
                label = "authorizer"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 0
        y      = 8
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Throttles"
          view    = "timeSeries"
          stacked = false
          stat    = "Sum"
          period  = 300
          metrics = [
            [
              "AWS/Lambda",
              "Throttles",
              "FunctionName",
              "infra-gen-dev-event-router",
              {
                label = "event-router"
              },
            ],
            [
              "AWS/Lambda",
              "Throttles",
              "FunctionName",
              "infra-gen-dev-stream-processor",
              {
                label = "stream-processor"
              },
            ],
            [
              "AWS/Lambda",
              "Throttles",
              "FunctionName",
              "infra-gen-dev-event-transformer",
              {
                label = "event-transformer"
              },
            ],
            [
              "AWS/Lambda",
              "Throttles",
              "FunctionName",
              "infra-gen-dev-health-checker",
              {
                label = "health-checker"
              },
            ],
            [
              "AWS/Lambda",
              "Throttles",
              "FunctionName",
              "infra-gen-dev-authorizer",
              {
                label = "authorizer"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 12
        y      = 8
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Concurrent executions"
          view    = "timeSeries"
          stacked = false
          stat    = "Maximum"
          period  = 300
          metrics = [
            [
              "AWS/Lambda",
              "ConcurrentExecutions",
              "FunctionName",
              "infra-gen-dev-event-router",
              {
                label = "event-router"
              },
            ],
            [
              "AWS/Lambda",
              "ConcurrentExecutions",
              "FunctionName",
              "infra-gen-dev-stream-processor",
              {
                label = "stream-processor"
              },
            ],
            [
              "AWS/Lambda",
              "ConcurrentExecutions",
              "FunctionName",
              "infra-gen-dev-event-transformer",
              {
                label = "event-transformer"
              },
            ],
            [
              "AWS/Lambda",
              "ConcurrentExecutions",
              "FunctionName",
              "infra-gen-dev-health-checker",
              {
                label = "health-checker"
              },
            ],
            [
              "AWS/Lambda",
              "ConcurrentExecutions",
              "FunctionName",
              "infra-gen-dev-authorizer",
              {
                label = "authorizer"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 0
        y      = 14
        width  = 12
        height = 6
      },
      {
        type = "log"
        properties = {
          title  = "Cold starts (REPORT lines with an Init Duration)"
          view   = "bar"
          query  = "SOURCE '/aws/lambda/infra-gen-dev-event-router' | SOURCE '/aws/lambda/infra-gen-dev-stream-processor' | SOURCE '/aws/lambda/infra-gen-dev-event-transformer' | SOURCE '/aws/lambda/infra-gen-dev-health-checker' | SOURCE '/aws/lambda/infra-gen-dev-authorizer' | filter @type = \"REPORT\" and ispresent(@initDuration) | stats count(*) as coldStarts by bin(5m)"
          region = "us-west-2"
        }
        x      = 12
        y      = 14
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Handler errors (EMF lambda_errors_total)"
          view    = "timeSeries"
          stacked = false
          stat    = "Sum"
          period  = 300
          metrics = [
            [
              "Platform/Functions",
              "lambda_errors_total",
              "FunctionName",
              "event-router",
              {
                label = "event-router"
              },
            ],
            [
              "Platform/Functions",
              "lambda_errors_total",
              "FunctionName",
              "stream-processor",
              {
                label = "stream-processor"
              },
            ],
            [
              "Platform/Functions",
              "lambda_errors_total",
              "FunctionName",
              "event-transformer",
              {
                label = "event-transformer"
              },
            ],
            [
              "Platform/Functions",
              "lambda_errors_total",
              "FunctionName",
              "health-checker",
              {
                label = "health-checker"
              },
            ],
            [
              "Platform/Functions",
              "lambda_errors_total",
              "FunctionName",
              "authorizer",
              {
                label = "authorizer"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 0
        y      = 20
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Peer circuit (0 closed, 1 half-open, 2 open)"
          view    = "timeSeries"
          stacked = false
          stat    = "Maximum"
          period  = 300
          metrics = [
            [
              "Platform/Functions",
              "circuit_breaker_state",
              "FunctionName",
              "event-router",
              {
                label = "event-router"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 12
        y      = 20
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Cross-region latency (s) and routed events"
          view    = "timeSeries"
          stacked = false
          stat    = "p99"
          period  = 300
          metrics = [
            [
              "Platform/Functions",
              "cross_region_latency_seconds",
              "FunctionName",
              "event-router",
              {
                label = "p99 latency"
              },
            ],
            [
              "Platform/Functions",
              "cross_region_latency_seconds",
              "FunctionName",
              "event-router",
              {
                label = "routed"
                stat  = "SampleCount"
                yAxis = "right"
              },
            ],
          ]
          region = "us-west-2"
        }
        x      = 0
        y      = 26
        width  = 12
        height = 6
      },
      {
        type = "metric"
        properties = {
          title   = "Dead-letter queue depth"
          view    = "timeSeries"
          stacked = false
          stat    = "Maximum"
          period  = 300
          metrics = [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "infra-gen-dev-stream-failures"], ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "infra-gen-dev-events-dlq"], ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", "infra-gen-dev-cdc-dlq"]]
          region  = "us-west-2"
        }
        x      = 12
        y      = 26
        width  = 12
        height = 6
      },
    ]
  })
}
