resource "aws_s3_bucket" "artefacts" {
  #checkov:skip=CKV_AWS_18:Holds only build outputs that infra-gen package reproduces byte for byte; writes come from the deploy role, which CloudTrail records
  #checkov:skip=CKV_AWS_144:The objects are rebuilt from the sources; each region's module has its own bucket, so nothing needs replicating
  #checkov:skip=CKV2_AWS_62:Nothing reacts to uploads: Terraform points each function at its object in the same apply
  bucket = "infra-gen-staging-us-west-2-tf-artefacts-222222222222"
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
  key    = "event-router-e9e6688349e5156ef7ba0a6ce53034139b279eaf2bee87dffd66ee6c4f7cbd42.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-router-e9e6688349e5156ef7ba0a6ce53034139b279eaf2bee87dffd66ee6c4f7cbd42.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-router-e9e6688349e5156ef7ba0a6ce53034139b279eaf2bee87dffd66ee6c4f7cbd42.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "stream_processor_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "stream-processor-886b033a72ad5f53922aab817cc5a8e2151e3250bfc477b93f29defc6b9a5083.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/stream-processor-886b033a72ad5f53922aab817cc5a8e2151e3250bfc477b93f29defc6b9a5083.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/stream-processor-886b033a72ad5f53922aab817cc5a8e2151e3250bfc477b93f29defc6b9a5083.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "event_transformer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "event-transformer-db122da0675c0535d510740bc4c51c4da06954a57b34ab9fc183eae769df7a64.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-transformer-db122da0675c0535d510740bc4c51c4da06954a57b34ab9fc183eae769df7a64.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-transformer-db122da0675c0535d510740bc4c51c4da06954a57b34ab9fc183eae769df7a64.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "health_checker_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "health-checker-e2be381242a5fd001da01c53dc5516fca9367e1859c7abc52d3bfe730cbb40bc.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/health-checker-e2be381242a5fd001da01c53dc5516fca9367e1859c7abc52d3bfe730cbb40bc.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/health-checker-e2be381242a5fd001da01c53dc5516fca9367e1859c7abc52d3bfe730cbb40bc.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "authorizer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "authorizer-d40369a118d35a9ad2159f08253a4fd9f8f1e911f9f1404a1e334f3aa9783a20.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/authorizer-d40369a118d35a9ad2159f08253a4fd9f8f1e911f9f1404a1e334f3aa9783a20.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/authorizer-d40369a118d35a9ad2159f08253a4fd9f8f1e911f9f1404a1e334f3aa9783a20.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}
