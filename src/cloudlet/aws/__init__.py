"""The AWS wire layer: identify, authenticate, parse, validate and serialize, driven by botocore's models."""
