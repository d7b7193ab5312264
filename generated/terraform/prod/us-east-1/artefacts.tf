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
  key    = "event-router-d1e52e3453c8a181ff5f33f64629806c3dd0b931a36ab1cc8664f8646cfef351.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-router-d1e52e3453c8a181ff5f33f64629806c3dd0b931a36ab1cc8664f8646cfef351.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-router-d1e52e3453c8a181ff5f33f64629806c3dd0b931a36ab1cc8664f8646cfef351.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "stream_processor_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "stream-processor-36b70f3de6d56888ec949dd2adebbe462faaf6c0798aae38fecb5efa774b737c.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/stream-processor-36b70f3de6d56888ec949dd2adebbe462faaf6c0798aae38fecb5efa774b737c.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/stream-processor-36b70f3de6d56888ec949dd2adebbe462faaf6c0798aae38fecb5efa774b737c.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "event_transformer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "event-transformer-908908ef948f6042d85bdc8fbeddd65d639001dbdef817201881ea07a6514a0a.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-transformer-908908ef948f6042d85bdc8fbeddd65d639001dbdef817201881ea07a6514a0a.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-transformer-908908ef948f6042d85bdc8fbeddd65d639001dbdef817201881ea07a6514a0a.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "health_checker_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "health-checker-f8941b0f961d7d76f58fb0ddb004bdbfe1f724f8ac75aeb4d0695d5ff7794136.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/health-checker-f8941b0f961d7d76f58fb0ddb004bdbfe1f724f8ac75aeb4d0695d5ff7794136.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/health-checker-f8941b0f961d7d76f58fb0ddb004bdbfe1f724f8ac75aeb4d0695d5ff7794136.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "authorizer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "authorizer-47da8b1062bf08ec5da3f3543775cea2acb1a7b4e25cf97c3537149416746c8e.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/authorizer-47da8b1062bf08ec5da3f3543775cea2acb1a7b4e25cf97c3537149416746c8e.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/authorizer-47da8b1062bf08ec5da3f3543775cea2acb1a7b4e25cf97c3537149416746c8e.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}
