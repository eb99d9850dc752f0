package platform

// awsEnvironment is the environment every function starts with, before
// its template's variables (which may override it): the endpoints through
// which AWS SDKs reach this platform's services on the gateway, and
// placeholder credentials for the SDKs to sign with (the gateway does not
// check signatures).
//
//	AWS_ENDPOINT_URL_SQS, _DYNAMODB, _EVENTBRIDGE    the AWS JSON protocol (see package awsapi)
//	AWS_ENDPOINT_URL_S3                              the objects endpoint, path style: {url}/{bucket}/{key}, which S3 SDKs use on an IP address
func (p *Platform) awsEnvironment() map[string]string {
	gw := "http://" + p.gatewayHost()
	return map[string]string{
		"AWS_ENDPOINT_URL_SQS":         gw,
		"AWS_ENDPOINT_URL_DYNAMODB":    gw,
		"AWS_ENDPOINT_URL_EVENTBRIDGE": gw,
		"AWS_ENDPOINT_URL_S3":          gw + "/_s3",
		"AWS_ACCESS_KEY_ID":            "stacklab",
		"AWS_SECRET_ACCESS_KEY":        "stacklab",
	}
}
