package stack

import "github.com/stacklab/stacklab/internal/diag"

// Target names another resource or something outside the template. Ref is
// the logical id when the value was a Ref, Fn::GetAtt or ${Id...} of a
// resource of this template; otherwise Literal holds the name or ARN as
// written (or "" when it is computed from something unknown here).
type Target struct {
	Ref     string `json:"ref,omitempty"`
	Literal string `json:"literal,omitempty"`
}

// IsZero reports whether t names nothing.
func (t Target) IsZero() bool { return t.Ref == "" && t.Literal == "" }

func (t Target) String() string {
	if t.Ref != "" {
		return t.Ref
	}
	return t.Literal
}

// Function is an AWS::Serverless::Function or AWS::Lambda::Function.
type Function struct {
	ID            string   `json:"id"`
	Name          string   `json:"name"` // FunctionName, or the logical id
	Handler       string   `json:"handler,omitempty"`
	Runtime       string   `json:"runtime,omitempty"`
	CodeURI       string   `json:"codeUri,omitempty"` // local folder or s3:// URI
	InlineCode    string   `json:"inlineCode,omitempty"`
	ImageURI      string   `json:"imageUri,omitempty"`
	PackageType   string   `json:"packageType"` // Zip or Image
	BuildMethod   string   `json:"buildMethod,omitempty"`
	Architectures []string `json:"architectures"`
	MemorySize    int      `json:"memorySize"` // MB, default 128
	Timeout       int      `json:"timeout"`    // seconds, default 3
	// EphemeralStorage is the /tmp size in MB, default 512.
	EphemeralStorage     int                `json:"ephemeralStorage"`
	Environment          map[string]any     `json:"environment,omitempty"`
	Policies             []Policy           `json:"policies,omitempty"`
	ReservedConcurrency  *int               `json:"reservedConcurrency,omitempty"`
	DeadLetterQueue      *DeadLetterQueue   `json:"deadLetterQueue,omitempty"`
	EventInvokeConfig    *EventInvokeConfig `json:"eventInvokeConfig,omitempty"`
	AutoPublishAlias     string             `json:"autoPublishAlias,omitempty"`
	DeploymentPreference map[string]any     `json:"deploymentPreference,omitempty"`
	Layers               []any              `json:"layers,omitempty"`
	Events               []*Event           `json:"events,omitempty"`
}

// Policy is one entry of a function's Policies: a SAM policy template with
// its parameters, an inline policy document, or a managed policy name/ARN.
type Policy struct {
	Template  string         `json:"template,omitempty"`
	Params    map[string]any `json:"params,omitempty"`
	Document  map[string]any `json:"document,omitempty"`
	Managed   string         `json:"managed,omitempty"`
	Resources []Target       `json:"resources,omitempty"` // resources of the template it grants access to
	Access    string         `json:"access,omitempty"`    // read, write, read/write, send, publish, invoke, ...
}

// DeadLetterQueue is where a function's failed async events go.
type DeadLetterQueue struct {
	Type   string `json:"type"` // SQS or SNS
	Target Target `json:"target"`
}

// EventInvokeConfig is how a function's async invocations are retried and
// where their outcomes go.
type EventInvokeConfig struct {
	MaximumRetryAttempts     *int         `json:"maximumRetryAttempts,omitempty"`
	MaximumEventAgeInSeconds *int         `json:"maximumEventAgeInSeconds,omitempty"`
	OnSuccess                *Destination `json:"onSuccess,omitempty"`
	OnFailure                *Destination `json:"onFailure,omitempty"`
	// Resource is the logical id of the AWS::Lambda::EventInvokeConfig that
	// configures the function, or "" for SAM's EventInvokeConfig property.
	Resource string `json:"resource,omitempty"`
}

// Destination is an async invocation destination.
type Destination struct {
	Type   string `json:"type,omitempty"` // SQS, SNS, Lambda, EventBridge, S3Bucket
	Target Target `json:"target"`
}

// EventType is the Type of a SAM function event.
type EventType string

// Event types that stacklab runs.
const (
	EventAPI             EventType = "Api"
	EventHTTPAPI         EventType = "HttpApi"
	EventS3              EventType = "S3"
	EventSQS             EventType = "SQS"
	EventSNS             EventType = "SNS"
	EventSchedule        EventType = "Schedule"
	EventScheduleV2      EventType = "ScheduleV2"
	EventEventBridgeRule EventType = "EventBridgeRule"
	EventCloudWatchEvent EventType = "CloudWatchEvent"
	EventDynamoDB        EventType = "DynamoDB"
	EventKinesis         EventType = "Kinesis"
)

// runEvents are the event types stacklab delivers; acceptedEvents are valid
// SAM event types that it keeps but does not deliver.
var (
	runEvents      = []EventType{EventAPI, EventHTTPAPI, EventS3, EventSQS, EventSNS, EventSchedule, EventScheduleV2, EventEventBridgeRule, EventCloudWatchEvent, EventDynamoDB, EventKinesis}
	acceptedEvents = []EventType{"AlexaSkill", "CloudWatchLogs", "Cognito", "DocumentDB", "IoTRule", "MQ", "MSK", "SelfManagedKafka"}
)

// Event is one entry of a function's (or state machine's) Events.
type Event struct {
	ID   string    `json:"id"`
	Type EventType `json:"type"`
	Runs bool      `json:"runs"`

	// Source is the resource the events come from: the bucket, queue, topic,
	// table, stream, API or event bus.
	Source Target `json:"source,omitzero"`

	// Api, HttpApi
	Path   string `json:"path,omitempty"`
	Method string `json:"method,omitempty"`
	// S3: s3:ObjectCreated:* and so on; prefix and suffix filters.
	S3Events []string `json:"s3Events,omitempty"`
	Prefix   string   `json:"prefix,omitempty"`
	Suffix   string   `json:"suffix,omitempty"`
	// Schedule, ScheduleV2: rate(...) or cron(...).
	Schedule string `json:"schedule,omitempty"`
	Enabled  bool   `json:"enabled"`
	// EventBridgeRule, CloudWatchEvent, SNS filter policy.
	Pattern      any `json:"pattern,omitempty"`
	FilterPolicy any `json:"filterPolicy,omitempty"`
	Input        any `json:"input,omitempty"`
	// SQS, DynamoDB, Kinesis.
	BatchSize             int      `json:"batchSize,omitempty"`
	MaxBatchingWindow     int      `json:"maximumBatchingWindowInSeconds,omitempty"`
	StartingPosition      string   `json:"startingPosition,omitempty"`
	FunctionResponseTypes []string `json:"functionResponseTypes,omitempty"`
	// SQS: ScalingConfig.MaximumConcurrency, the most invocations at once
	// from this event source (0: not set).
	MaximumConcurrency int `json:"maximumConcurrency,omitempty"`

	// Properties are all the event's properties, resolved.
	Properties map[string]any `json:"properties,omitempty"`
}

// Bucket is an AWS::S3::Bucket.
type Bucket struct {
	ID            string         `json:"id"`
	Name          string         `json:"name,omitempty"` // BucketName when set
	Notifications []Notification `json:"notifications,omitempty"`
}

// Notification is one S3 event notification of a bucket.
type Notification struct {
	Event  string `json:"event"`
	Kind   string `json:"kind"` // function, queue or topic
	Target Target `json:"target"`
	Prefix string `json:"prefix,omitempty"`
	Suffix string `json:"suffix,omitempty"`
}

// Queue is an AWS::SQS::Queue.
type Queue struct {
	ID                     string `json:"id"`
	Name                   string `json:"name,omitempty"`
	Fifo                   bool   `json:"fifo"`
	ContentBasedDedup      bool   `json:"contentBasedDeduplication,omitempty"`
	VisibilityTimeout      int    `json:"visibilityTimeout"`      // seconds, default 30
	MessageRetentionPeriod int    `json:"messageRetentionPeriod"` // seconds, default 345600
	DelaySeconds           int    `json:"delaySeconds,omitempty"`
	ReceiveWaitTime        int    `json:"receiveMessageWaitTimeSeconds,omitempty"`
	DeadLetter             Target `json:"deadLetter,omitzero"`
	MaxReceiveCount        int    `json:"maxReceiveCount,omitempty"`
}

// Topic is an AWS::SNS::Topic, with its inline subscriptions and those of
// AWS::SNS::Subscription resources.
type Topic struct {
	ID            string         `json:"id"`
	Name          string         `json:"name,omitempty"`
	Fifo          bool           `json:"fifo"`
	Subscriptions []Subscription `json:"subscriptions,omitempty"`
}

// Subscription is one subscriber of a topic.
type Subscription struct {
	ID           string `json:"id,omitempty"` // the AWS::SNS::Subscription, when it is one
	Protocol     string `json:"protocol"`
	Endpoint     Target `json:"endpoint"`
	FilterPolicy any    `json:"filterPolicy,omitempty"`
	Raw          bool   `json:"rawMessageDelivery,omitempty"`
}

// Table is an AWS::DynamoDB::Table or AWS::Serverless::SimpleTable.
type Table struct {
	ID             string            `json:"id"`
	Name           string            `json:"name,omitempty"`
	HashKey        Key               `json:"hashKey"`
	RangeKey       *Key              `json:"rangeKey,omitempty"`
	StreamViewType string            `json:"streamViewType,omitempty"` // "" when there is no stream
	Attributes     map[string]string `json:"attributes,omitempty"`
}

// Key is a table key attribute: its name and type (S, N or B).
type Key struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// API is an AWS::Serverless::Api (REST, v1) or AWS::Serverless::HttpApi
// (v2), explicit or implicit (ServerlessRestApi, ServerlessHttpApi), with the
// routes that functions' events add to it.
type API struct {
	ID       string   `json:"id"`
	HTTP     bool     `json:"http"` // HttpApi (payload v2) rather than REST Api
	Implicit bool     `json:"implicit,omitempty"`
	Stage    string   `json:"stage,omitempty"`
	Routes   []Route  `json:"routes,omitempty"`
	Auth     *APIAuth `json:"auth,omitempty"`
	Cors     any      `json:"cors,omitempty"`
}

// Route is one method and path of an API and the function behind it.
type Route struct {
	Method   string `json:"method"` // GET, POST, ... or ANY
	Path     string `json:"path"`   // /items/{id}, /{proxy+}
	Function string `json:"function"`
	Event    string `json:"event"`
	Auth     any    `json:"auth,omitempty"`

	authorizer string   // Auth.Authorizer of the event, checked against the API's authorizers
	authPos    diag.Pos // where it was written
}

// APIAuth is an API's authorizers and defaults.
type APIAuth struct {
	DefaultAuthorizer string         `json:"defaultAuthorizer,omitempty"`
	Authorizers       map[string]any `json:"authorizers,omitempty"`
	APIKeyRequired    bool           `json:"apiKeyRequired,omitempty"`
}

// Rule is an AWS::Events::Rule, or one a function's Schedule/EventBridgeRule
// event makes.
type Rule struct {
	ID       string   `json:"id"`
	Schedule string   `json:"schedule,omitempty"`
	Pattern  any      `json:"pattern,omitempty"`
	EventBus Target   `json:"eventBus,omitzero"`
	Enabled  bool     `json:"enabled"`
	Targets  []Target `json:"targets,omitempty"`
}

// EventBus is an AWS::Events::EventBus.
type EventBus struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StateMachine is an AWS::Serverless::StateMachine or
// AWS::StepFunctions::StateMachine; its definition is kept as written.
type StateMachine struct {
	ID            string         `json:"id"`
	Name          string         `json:"name,omitempty"`
	Type          string         `json:"type"` // STANDARD or EXPRESS
	Definition    any            `json:"definition,omitempty"`
	DefinitionURI string         `json:"definitionUri,omitempty"`
	Substitutions map[string]any `json:"substitutions,omitempty"`
	Events        []*Event       `json:"events,omitempty"`
	Policies      []Policy       `json:"policies,omitempty"`
}

// EventSourceMapping is an AWS::Lambda::EventSourceMapping.
type EventSourceMapping struct {
	ID                    string   `json:"id"`
	Source                Target   `json:"source"`
	Function              Target   `json:"function"`
	BatchSize             int      `json:"batchSize,omitempty"`
	MaxBatchingWindow     int      `json:"maximumBatchingWindowInSeconds,omitempty"`
	StartingPosition      string   `json:"startingPosition,omitempty"`
	FunctionResponseTypes []string `json:"functionResponseTypes,omitempty"`
	Enabled               bool     `json:"enabled"`
	// MaximumConcurrency is ScalingConfig.MaximumConcurrency (0: not set).
	MaximumConcurrency int `json:"maximumConcurrency,omitempty"`
}

// Stream is an AWS::Kinesis::Stream.
type Stream struct {
	ID         string `json:"id"`
	Name       string `json:"name,omitempty"`
	ShardCount int    `json:"shardCount"`
}
