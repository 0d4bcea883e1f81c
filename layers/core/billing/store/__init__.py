"""The DynamoDB table: the only package that talks to boto3 (`repository`), the pagination of
lists (`listing`) and the key material kept in Secrets Manager (`keymaterial`)."""
