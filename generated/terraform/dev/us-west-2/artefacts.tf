resource "aws_s3_bucket" "artefacts" {
  #checkov:skip=CKV_AWS_18:Holds only build outputs that infra-gen package reproduces byte for byte; writes come from the deploy role, which CloudTrail records
  #checkov:skip=CKV_AWS_144:The objects are rebuilt from the sources; each region's module has its own bucket, so nothing needs replicating
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads: Terraform points each function at its object in the same apply
  bucket = "infra-gen-dev-us-west-2-tf-artefacts-111111111111"
  # Build outputs only: destroying the module may take them with it.
  force_destroy = true
}

resource "aws_s3_bucket_versioning" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.data_key.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "artefacts" {
  bucket                  = aws_s3_bucket.artefacts.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_policy" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "DenyPlainHttp"
        Effect    = "Deny"
        Principal = "*"
        Action    = "s3:*"
        Resource  = [aws_s3_bucket.artefacts.arn, "${aws_s3_bucket.artefacts.arn}/*"]
        Condition = {
          Bool = {
            "aws:SecureTransport" = "false"
          }
        }
      },
    ]
  })
}

resource "aws_s3_bucket_lifecycle_configuration" "artefacts" {
  bucket = aws_s3_bucket.artefacts.id
  rule {
    id     = "expire-replaced-code"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = 30
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }
}

resource "aws_s3_object" "event_router_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "event-router-e1128f46e7fdf4266d112e25d016abe24964e46db9af4327e1d98f6c32ba3205.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-router-e1128f46e7fdf4266d112e25d016abe24964e46db9af4327e1d98f6c32ba3205.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-router-e1128f46e7fdf4266d112e25d016abe24964e46db9af4327e1d98f6c32ba3205.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "stream_processor_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "stream-processor-9aa20f7b5eb533803aec604e5e048867719c90f73038c59337112b11bc51c495.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/stream-processor-9aa20f7b5eb533803aec604e5e048867719c90f73038c59337112b11bc51c495.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/stream-processor-9aa20f7b5eb533803aec604e5e048867719c90f73038c59337112b11bc51c495.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "event_transformer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "event-transformer-135e8f092150015841d07dc20f6aa675e15f7da70ec188a69dd6689248ac8b3b.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-transformer-135e8f092150015841d07dc20f6aa675e15f7da70ec188a69dd6689248ac8b3b.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-transformer-135e8f092150015841d07dc20f6aa675e15f7da70ec188a69dd6689248ac8b3b.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "health_checker_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "health-checker-15b688399261d545e83d9f8c19f462bfd732107f31bd08671c70af86fc91c347.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/health-checker-15b688399261d545e83d9f8c19f462bfd732107f31bd08671c70af86fc91c347.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/health-checker-15b688399261d545e83d9f8c19f462bfd732107f31bd08671c70af86fc91c347.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "authorizer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "authorizer-18eca264330f7a3823618ed7dda1c5e606130108dd6bdf49537754e195dc8532.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/authorizer-18eca264330f7a3823618ed7dda1c5e606130108dd6bdf49537754e195dc8532.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/authorizer-18eca264330f7a3823618ed7dda1c5e606130108dd6bdf49537754e195dc8532.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}
