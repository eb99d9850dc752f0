"""Retrieve the content type of an object uploaded to an S3 bucket.

An ordinary AWS Lambda handler: it reads the S3 event notification record and
asks S3 for the object's metadata. Under stacklab, AWS_ENDPOINT_URL points the
AWS SDK at stacklab's S3-compatible endpoint, so the code runs unmodified.
"""

import json
import urllib.parse

import boto3

s3 = boto3.client("s3")


def lambda_handler(event, context):
    record = event["Records"][0]["s3"]
    bucket = record["bucket"]["name"]
    key = urllib.parse.unquote_plus(record["object"]["key"], encoding="utf-8")
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except Exception as err:
        print(json.dumps({"error": str(err), "bucket": bucket, "key": key}))
        raise
    print("CONTENT TYPE: " + response["ContentType"])
    return response["ContentType"]
