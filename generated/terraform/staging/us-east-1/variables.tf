variable "environment" {
  description = "Environment this module deploys; tags every resource."
  type        = string
  default     = "staging"

  validation {
    condition     = var.environment == "staging"
    error_message = "This module is generated for environment staging; synthesise the module of the environment you want."
  }
}

variable "region" {
  description = "AWS region this module deploys to; configures the provider."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = var.region == "us-east-1"
    error_message = "This module is generated for region us-east-1; synthesise the module of the region you want."
  }
}
