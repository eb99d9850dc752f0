package plan

// replacing lists, for each resource type stacklab models, the top-level
// properties that CloudFormation cannot update in place: the AWS resource
// and property types reference marks them "Update requires: Replacement".
// Changing any of them, at any depth, replaces the resource. Where the
// reference says a property needs replacement only in some cases (DynamoDB
// AttributeDefinitions, for one) it is left out: the key change that makes
// it so is caught by the property that is listed (KeySchema). The SAM types
// follow the CloudFormation types they expand to.
//
// allProperties marks a type with no update at all: every change replaces it.
// A type with an empty list, or not listed, is always updated in place.
// Keep this table the one place these rules live.
var replacing = map[string][]string{
	"AWS::DynamoDB::Table":             {"TableName", "KeySchema", "LocalSecondaryIndexes"},
	"AWS::Events::EventBus":            {"Name", "EventSourceName"},
	"AWS::Events::Rule":                {"Name"},
	"AWS::IAM::ManagedPolicy":          {"ManagedPolicyName", "Path", "Description"},
	"AWS::IAM::Role":                   {"RoleName", "Path"},
	"AWS::Kinesis::Stream":             {"Name"},
	"AWS::Lambda::Alias":               {"FunctionName", "Name"},
	"AWS::Lambda::EventSourceMapping":  {"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"},
	"AWS::Lambda::Function":            {"FunctionName", "PackageType"},
	"AWS::Lambda::Permission":          {allProperties},
	"AWS::Logs::LogGroup":              {"LogGroupName"},
	"AWS::S3::Bucket":                  {"BucketName"},
	"AWS::S3::BucketPolicy":            {"Bucket"},
	"AWS::Scheduler::Schedule":         {"Name", "GroupName"},
	"AWS::Serverless::Api":             {},
	"AWS::Serverless::Function":        {"FunctionName", "PackageType"},
	"AWS::Serverless::HttpApi":         {},
	"AWS::Serverless::SimpleTable":     {"TableName", "PrimaryKey"},
	"AWS::Serverless::StateMachine":    {"Name", "Type"},
	"AWS::SNS::Subscription":           {"Protocol", "Endpoint", "TopicArn"},
	"AWS::SNS::Topic":                  {"TopicName", "FifoTopic"},
	"AWS::SQS::Queue":                  {"QueueName", "FifoQueue"},
	"AWS::StepFunctions::StateMachine": {"StateMachineName", "StateMachineType"},
}

const allProperties = "*"

// forcesReplacement reports whether a change to the top-level property prop
// of a resource of type typ replaces the resource.
func forcesReplacement(typ, prop string) bool {
	for _, p := range replacing[typ] {
		if p == prop || p == allProperties {
			return true
		}
	}
	return false
}
