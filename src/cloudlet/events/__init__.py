"""Event-driven building blocks shared by services (event patterns for EventBridge, SNS and Lambda)."""
