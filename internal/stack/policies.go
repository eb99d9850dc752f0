package stack

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/stacklab/stacklab/internal/template"
)

// policyTemplate describes a SAM policy template: the parameters it needs
// and, for those that name a resource, the access it grants.
type policyTemplate struct {
	params []string
	access string // read, write, read/write, send, receive, publish, invoke, start, put events
}

// policyTemplates are SAM's policy templates. Templates with no access label
// grant access to something stacklab does not draw (KMS keys, EC2, ...).
var policyTemplates = map[string]policyTemplate{
	"AMIDescribePolicy":                              {},
	"AWSSecretsManagerGetSecretValuePolicy":          {params: []string{"SecretArn"}},
	"AWSSecretsManagerRotationPolicy":                {params: []string{"FunctionName"}},
	"AcmGetCertificatePolicy":                        {params: []string{"CertificateArn"}},
	"AthenaQueryPolicy":                              {params: []string{"WorkGroupName"}},
	"CloudFormationDescribeStacksPolicy":             {},
	"CloudWatchDashboardPolicy":                      {},
	"CloudWatchDescribeAlarmHistoryPolicy":           {},
	"CloudWatchPutMetricPolicy":                      {},
	"CodeCommitCrudPolicy":                           {params: []string{"RepositoryName"}},
	"CodeCommitReadPolicy":                           {params: []string{"RepositoryName"}},
	"CodePipelineLambdaExecutionPolicy":              {},
	"CodePipelineReadOnlyPolicy":                     {params: []string{"PipelineName"}},
	"ComprehendBasicAccessPolicy":                    {},
	"CostExplorerReadOnlyPolicy":                     {},
	"DynamoDBBackupFullAccessPolicy":                 {params: []string{"TableName"}, access: "backup"},
	"DynamoDBCrudPolicy":                             {params: []string{"TableName"}, access: "read/write"},
	"DynamoDBReadPolicy":                             {params: []string{"TableName"}, access: "read"},
	"DynamoDBReconfigurePolicy":                      {params: []string{"TableName"}, access: "reconfigure"},
	"DynamoDBRestoreFromBackupPolicy":                {params: []string{"TableName"}, access: "restore"},
	"DynamoDBStreamReadPolicy":                       {params: []string{"TableName", "StreamName"}, access: "read stream"},
	"DynamoDBWritePolicy":                            {params: []string{"TableName"}, access: "write"},
	"EC2CopyImagePolicy":                             {params: []string{"ImageId"}},
	"EC2DescribePolicy":                              {},
	"EcsRunTaskPolicy":                               {params: []string{"TaskDefinition"}},
	"EFSWriteAccessPolicy":                           {params: []string{"FileSystem", "AccessPoint"}},
	"EKSDescribePolicy":                              {},
	"ElasticMapReduceAddJobFlowStepsPolicy":          {params: []string{"ClusterId"}},
	"ElasticMapReduceCancelStepsPolicy":              {params: []string{"ClusterId"}},
	"ElasticMapReduceModifyInstanceFleetPolicy":      {params: []string{"ClusterId"}},
	"ElasticMapReduceModifyInstanceGroupsPolicy":     {params: []string{"ClusterId"}},
	"ElasticMapReduceSetTerminationProtectionPolicy": {params: []string{"ClusterId"}},
	"ElasticMapReduceTerminateJobFlowsPolicy":        {params: []string{"ClusterId"}},
	"ElasticsearchHttpPostPolicy":                    {params: []string{"DomainName"}},
	"EventBridgePutEventsPolicy":                     {params: []string{"EventBusName"}, access: "put events"},
	"FilterLogEventsPolicy":                          {params: []string{"LogGroupName"}},
	"FirehoseCrudPolicy":                             {params: []string{"DeliveryStreamName"}, access: "read/write"},
	"FirehoseWritePolicy":                            {params: []string{"DeliveryStreamName"}, access: "write"},
	"KinesisCrudPolicy":                              {params: []string{"StreamName"}, access: "read/write"},
	"KinesisStreamReadPolicy":                        {params: []string{"StreamName"}, access: "read"},
	"KMSDecryptPolicy":                               {params: []string{"KeyId"}},
	"KMSEncryptPolicy":                               {params: []string{"KeyId"}},
	"KMSEncryptPolicy_v2":                            {params: []string{"KeyId"}},
	"LambdaInvokePolicy":                             {params: []string{"FunctionName"}, access: "invoke"},
	"MobileAnalyticsWriteOnlyAccessPolicy":           {},
	"OrganizationsListAccountsPolicy":                {},
	"PinpointEndpointAccessPolicy":                   {params: []string{"PinpointApplicationId"}},
	"PollyFullAccessPolicy":                          {params: []string{"LexiconName"}},
	"RekognitionDetectOnlyPolicy":                    {},
	"RekognitionFacesManagementPolicy":               {params: []string{"CollectionId"}},
	"RekognitionFacesPolicy":                         {},
	"RekognitionLabelsPolicy":                        {},
	"RekognitionNoDataAccessPolicy":                  {params: []string{"CollectionId"}},
	"RekognitionReadPolicy":                          {params: []string{"CollectionId"}},
	"RekognitionWriteOnlyAccessPolicy":               {params: []string{"CollectionId"}},
	"Route53ChangeResourceRecordSetsPolicy":          {params: []string{"HostedZoneId"}},
	"S3CrudPolicy":                                   {params: []string{"BucketName"}, access: "read/write"},
	"S3FullAccessPolicy":                             {params: []string{"BucketName"}, access: "read/write"},
	"S3ReadPolicy":                                   {params: []string{"BucketName"}, access: "read"},
	"S3WritePolicy":                                  {params: []string{"BucketName"}, access: "write"},
	"SageMakerCreateEndpointConfigPolicy":            {params: []string{"EndpointConfigName"}},
	"SageMakerCreateEndpointPolicy":                  {params: []string{"EndpointName"}},
	"ServerlessRepoReadWriteAccessPolicy":            {},
	"SESBulkTemplatedCrudPolicy":                     {params: []string{"IdentityName"}},
	"SESBulkTemplatedCrudPolicy_v2":                  {params: []string{"IdentityName", "TemplateName"}},
	"SESCrudPolicy":                                  {params: []string{"IdentityName"}},
	"SESEmailTemplateCrudPolicy":                     {},
	"SESSendBouncePolicy":                            {params: []string{"IdentityName"}},
	"SNSCrudPolicy":                                  {params: []string{"TopicName"}, access: "publish"},
	"SNSPublishMessagePolicy":                        {params: []string{"TopicName"}, access: "publish"},
	"SQSPollerPolicy":                                {params: []string{"QueueName"}, access: "receive"},
	"SQSSendMessagePolicy":                           {params: []string{"QueueName"}, access: "send"},
	"SSMParameterReadPolicy":                         {params: []string{"ParameterName"}},
	"SSMParameterWithSlashPrefixReadPolicy":          {params: []string{"ParameterName"}},
	"StepFunctionsCallbackPolicy":                    {params: []string{"StateMachineName"}, access: "callback"},
	"StepFunctionsExecutionPolicy":                   {params: []string{"StateMachineName"}, access: "start"},
	"StepFunctionsExecutionPolicy_v2":                {params: []string{"StateMachineName"}, access: "start"},
	"TextractDetectAnalyzePolicy":                    {},
	"TextractGetResultPolicy":                        {},
	"TextractPolicy":                                 {},
	"VPCAccessPolicy":                                {},
}

// policies reads a SAM Policies property: a managed policy name or ARN, a
// policy template {Name: {Params}}, an inline document {Statement: ...}, or a
// list of them.
func (b *builder) policies(c *checker, v *template.Value) []Policy {
	if v == nil || isFn(v) {
		return nil
	}
	items := c.list(v, "Policies", true)
	var out []Policy
	for i, it := range items {
		path := fmt.Sprintf("Policies[%d]", i)
		if v.Kind != template.List {
			path = "Policies"
		}
		switch {
		case isFn(it):
			// Fn::If between two policies, or a Ref to a managed policy.
			out = append(out, Policy{Managed: fmt.Sprint(plain(it))})
		case it.Kind == template.String:
			out = append(out, Policy{Managed: it.Scalar})
		case it.Kind == template.Map && (it.Get("Statement") != nil || it.Get("Version") != nil):
			out = append(out, b.inlinePolicy(c, it, path))
		case it.Kind == template.Map && len(it.Fields) == 1:
			if p, ok := b.policyTemplate(c, it, path); ok {
				out = append(out, p)
			}
		default:
			c.errorf(it, path, "write a managed policy name, a policy template such as {S3ReadPolicy: {BucketName: !Ref B}}, or {Statement: [...]}", "policy %d in Policies is not valid", i)
		}
	}
	return out
}

func (b *builder) policyTemplate(c *checker, it *template.Value, path string) (Policy, bool) {
	name := it.Fields[0].Key
	params := it.Fields[0].Value
	pt, ok := policyTemplates[name]
	if !ok {
		names := make([]string, 0, len(policyTemplates))
		for n := range policyTemplates {
			names = append(names, n)
		}
		sort.Strings(names)
		c.diags.Errorf(it.Fields[0].KeyPos, c.res, path, "use one of SAM's policy templates"+suggest(name, names)+", or an inline {Statement: [...]}", "unknown policy template %q", name)
		return Policy{}, false
	}
	p := Policy{Template: name, Access: pt.access}
	if params.Kind == template.Map {
		p.Params = plainMap(params)
	} else if params.Kind != template.Null && !isFn(params) {
		c.errorf(params, path+"."+name, "write the parameters as a map, or {} when there are none", "the parameters of %s should be a map, not %s", name, describe(params))
		return p, false
	}
	var missing []string
	for _, want := range pt.params {
		pv := params.Get(want)
		if pv == nil {
			missing = append(missing, want)
			continue
		}
		if t := target(pv); !t.IsZero() && pt.access != "" {
			p.Resources = append(p.Resources, t)
		}
	}
	if len(missing) > 0 {
		c.errorf(it, path+"."+name, "add "+strings.Join(missing, ", ")+" to the template's parameters", "policy template %s is missing required parameter %s", name, strings.Join(missing, ", "))
	}
	return p, true
}

// inlinePolicy reads a policy document and finds the resources of this
// template that its statements grant access to.
func (b *builder) inlinePolicy(c *checker, it *template.Value, path string) Policy {
	p := Policy{Document: plainMap(it)}
	st := it.Get("Statement")
	var reads, writes bool
	for i, s := range c.list(st, path+".Statement", true) {
		sp := fmt.Sprintf("%s.Statement[%d]", path, i)
		if !c.mapping(s, sp) {
			continue
		}
		if eff, ok := s.Get("Effect").Str(); ok && eff == "Deny" {
			continue
		}
		for _, a := range c.strs(s.Get("Action"), sp+".Action") {
			verb := a[strings.IndexByte(a, ':')+1:]
			switch {
			case strings.HasPrefix(verb, "Get"), strings.HasPrefix(verb, "List"), strings.HasPrefix(verb, "Describe"), strings.HasPrefix(verb, "Query"), strings.HasPrefix(verb, "Scan"), strings.HasPrefix(verb, "Receive"), strings.HasPrefix(verb, "BatchGet"):
				reads = true
			case verb == "*":
				reads, writes = true, true
			default:
				writes = true
			}
		}
		for _, r := range c.list(s.Get("Resource"), sp+".Resource", true) {
			if t := target(r); t.Ref != "" && !slices.Contains(p.Resources, t) {
				p.Resources = append(p.Resources, t)
			}
		}
	}
	switch {
	case reads && writes:
		p.Access = "read/write"
	case reads:
		p.Access = "read"
	case writes:
		p.Access = "write"
	}
	return p
}
