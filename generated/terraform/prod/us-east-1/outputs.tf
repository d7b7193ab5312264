output "api_url" {
  description = "Base URL of the REST API stage"
  value       = "https://${aws_api_gateway_rest_api.api.id}.execute-api.us-east-1.amazonaws.com/prod/"
}

output "event_bus_arn" {
  description = "This region's event bus"
  value       = aws_cloudwatch_event_bus.bus.arn
}

output "consumer_role_arn" {
  description = "IRSA role of the CDC consumer"
  value       = aws_iam_role.consumer_role.arn
}

output "consumer_image_repository_uri" {
  description = "Where the promotion workflow pushes the CDC consumer image and the overlay pulls it"
  value       = aws_ecr_repository.consumer_image_repository.repository_url
}

output "cdc_dlq_url" {
  description = "Dead-letter queue of the CDC consumer"
  value       = aws_sqs_queue.cdc_dlq.url
}

output "cdc_table_name" {
  description = "Sink table of the CDC consumer"
  value       = aws_dynamodb_table.cdc_state_table.name
}
