resource "aws_s3_bucket" "artefacts" {
  #checkov:skip=CKV_AWS_18:Holds only build outputs that infra-gen package reproduces byte for byte; writes come from the deploy role, which CloudTrail records
  #checkov:skip=CKV_AWS_144:The objects are rebuilt from the sources; each region's module has its own bucket, so nothing needs replicating
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads: Terraform points each function at its object in the same apply
  bucket = "infra-gen-prod-us-east-1-tf-artefacts-333333333333"
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
  key    = "event-router-e04b91781249392cc29dbab209ae63a5b62430432aebe38a2c489310c86e29b1.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-router-e04b91781249392cc29dbab209ae63a5b62430432aebe38a2c489310c86e29b1.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-router-e04b91781249392cc29dbab209ae63a5b62430432aebe38a2c489310c86e29b1.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "stream_processor_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "stream-processor-2bc1024ea5d1bf5d2453398498f703f6dec5f3f59877e3fe1710cd5cef390928.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/stream-processor-2bc1024ea5d1bf5d2453398498f703f6dec5f3f59877e3fe1710cd5cef390928.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/stream-processor-2bc1024ea5d1bf5d2453398498f703f6dec5f3f59877e3fe1710cd5cef390928.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "event_transformer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "event-transformer-9785142c0a252c8e3d753e62b4fcfa8dba484ec3ea393bae0c9b72684f24ce86.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-transformer-9785142c0a252c8e3d753e62b4fcfa8dba484ec3ea393bae0c9b72684f24ce86.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-transformer-9785142c0a252c8e3d753e62b4fcfa8dba484ec3ea393bae0c9b72684f24ce86.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "health_checker_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "health-checker-8b74c18303bd4798668151ca36594bb51f43615ab62fa3f0d35c25a5e49fd585.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/health-checker-8b74c18303bd4798668151ca36594bb51f43615ab62fa3f0d35c25a5e49fd585.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/health-checker-8b74c18303bd4798668151ca36594bb51f43615ab62fa3f0d35c25a5e49fd585.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "authorizer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "authorizer-3bc0a6cc62b8fc8d0d6854294eb91a2680012b9ae02677761cb7733712c9c2f6.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/authorizer-3bc0a6cc62b8fc8d0d6854294eb91a2680012b9ae02677761cb7733712c9c2f6.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/authorizer-3bc0a6cc62b8fc8d0d6854294eb91a2680012b9ae02677761cb7733712c9c2f6.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}
