variable "environment" {
  description = "Environment this module deploys; tags every resource."
  type        = string
  default     = "prod"

  validation {
    condition     = var.environment == "prod"
    error_message = "This module is generated for environment prod; synthesise the module of the environment you want."
  }
}

variable "region" {
  description = "AWS region this module deploys to; configures the provider."
  type        = string
  default     = "us-west-2"

  validation {
    condition     = var.region == "us-west-2"
    error_message = "This module is generated for region us-west-2; synthesise the module of the region you want."
  }
}
