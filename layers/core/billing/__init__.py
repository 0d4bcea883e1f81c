"""The VINR billing core: domain, services and the DynamoDB repository.

Deployed as the `CoreLayer` Lambda layer and imported by every function. Nothing in this
package imports a web framework; only `repository` touches boto3.
"""
