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
  key    = "event-router-c1e3678722edf00f7dced4226ee920c26a2c41aabccb87bace51710d316a4641.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-router-c1e3678722edf00f7dced4226ee920c26a2c41aabccb87bace51710d316a4641.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-router-c1e3678722edf00f7dced4226ee920c26a2c41aabccb87bace51710d316a4641.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "stream_processor_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "stream-processor-5fbfc9431547f617715e9aaa9d8e2b74ed0aaaf691ed74fd7189dacb5959368f.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/stream-processor-5fbfc9431547f617715e9aaa9d8e2b74ed0aaaf691ed74fd7189dacb5959368f.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/stream-processor-5fbfc9431547f617715e9aaa9d8e2b74ed0aaaf691ed74fd7189dacb5959368f.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "event_transformer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "event-transformer-78b86d14526fa8ae03d6552e92c9de99b2ae3c064ad5033ba30df315d4adc498.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/event-transformer-78b86d14526fa8ae03d6552e92c9de99b2ae3c064ad5033ba30df315d4adc498.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/event-transformer-78b86d14526fa8ae03d6552e92c9de99b2ae3c064ad5033ba30df315d4adc498.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "health_checker_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "health-checker-8c7d76d0a299c329a33db60546ba1619e9a0bce57ff480fc21e0d4a69acee2b3.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/health-checker-8c7d76d0a299c329a33db60546ba1619e9a0bce57ff480fc21e0d4a69acee2b3.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/health-checker-8c7d76d0a299c329a33db60546ba1619e9a0bce57ff480fc21e0d4a69acee2b3.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}

resource "aws_s3_object" "authorizer_code" {
  bucket = aws_s3_bucket.artefacts.id
  key    = "authorizer-ede69421bdddd5c190052f0627c5c90ef676d5a03b7dc0740e72cc6c5a3f250f.zip"
  # Written by `infra-gen package`; run it before `terraform plan`.
  source                 = "${path.module}/../../../../target/lambda-assets/authorizer-ede69421bdddd5c190052f0627c5c90ef676d5a03b7dc0740e72cc6c5a3f250f.zip"
  source_hash            = filemd5("${path.module}/../../../../target/lambda-assets/authorizer-ede69421bdddd5c190052f0627c5c90ef676d5a03b7dc0740e72cc6c5a3f250f.zip")
  server_side_encryption = "aws:kms"
  kms_key_id             = aws_kms_key.data_key.arn
  depends_on             = [aws_s3_bucket_versioning.artefacts, aws_s3_bucket_policy.artefacts]
}
