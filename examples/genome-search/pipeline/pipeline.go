// Package pipeline is what the functions of the genome-search example
// share: the message a chunk travels in, the items of the two tables, and
// the AWS SDK clients, configured from the environment as on AWS (on
// stacklab, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL_SQS and
// AWS_ENDPOINT_URL_DYNAMODB point them at the platform).
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/stacklab/stacklab/examples/genome-search/crispr"
)

// Job statuses.
const (
	Scoring = "scoring" // chunks are on the queue
	Done    = "done"    // Targets are the ranked result
	Failed  = "failed"  // Error says why
)

// ChunkMessage is the body of a message on the chunk queue.
type ChunkMessage struct {
	Job   string `json:"job"`
	Run   string `json:"run"` // which upload of the job's file
	Index int    `json:"index"`
	Total int    `json:"total"`
	crispr.Chunk
}

// Job is an item of the jobs table (key: job).
type Job struct {
	Job      string          `json:"job"`
	Run      string          `json:"run"`
	Status   string          `json:"status"`
	Key      string          `json:"key"` // the object uploaded
	Bases    int             `json:"bases"`
	Chunks   int             `json:"chunks"`
	Scorer   string          `json:"scorer,omitempty"`
	Error    string          `json:"error,omitempty"`
	Targets  []crispr.Target `json:"targets,omitempty"`
	Started  string          `json:"started"`
	Finished string          `json:"finished,omitempty"`
}

// ChunkResult is an item of the chunks table (key: job, chunk): the best
// targets of one chunk.
type ChunkResult struct {
	Job     string
	Chunk   int
	Run     string
	Scorer  string
	Targets []crispr.Target
}

// JobID is the job of an uploaded object: its key's base name without
// extension ("genomes/sample.fa" is job "sample").
func JobID(key string) string {
	base := path.Base(key)
	if i := strings.IndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	return base
}

// Clients are the SDK clients of the functions.
type Clients struct {
	S3       *s3.Client
	SQS      *sqs.Client
	DynamoDB *dynamodb.Client
}

// NewClients loads the SDK's configuration from the environment.
func NewClients(ctx context.Context) (*Clients, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	return &Clients{S3: s3.NewFromConfig(cfg), SQS: sqs.NewFromConfig(cfg), DynamoDB: dynamodb.NewFromConfig(cfg)}, nil
}

// Env is a required environment variable; a missing one is an error
// naming it.
func Env(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("environment variable %s is not set; the template sets it on the function", name)
	}
	return v, nil
}

// EnvInt is an integer environment variable, def when unset.
func EnvInt(name string, def int) (int, error) {
	v := os.Getenv(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("environment variable %s is %q; want a positive integer", name, v)
	}
	return n, nil
}

// PutJob writes a job.
func (c *Clients) PutJob(ctx context.Context, tableName string, j Job) error {
	targets, err := json.Marshal(j.Targets)
	if err != nil {
		return err
	}
	item := map[string]types.AttributeValue{
		"job":     s(j.Job),
		"run":     s(j.Run),
		"status":  s(j.Status),
		"key":     s(j.Key),
		"bases":   n(j.Bases),
		"chunks":  n(j.Chunks),
		"targets": s(string(targets)),
		"started": s(j.Started),
	}
	for k, v := range map[string]string{"scorer": j.Scorer, "error": j.Error, "finished": j.Finished} {
		if v != "" {
			item[k] = s(v)
		}
	}
	if _, err := c.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableName), Item: item}); err != nil {
		return fmt.Errorf("writing job %s to table %s: %w", j.Job, tableName, err)
	}
	return nil
}

// GetJob reads a job; nil when there is none.
func (c *Clients) GetJob(ctx context.Context, tableName, job string) (*Job, error) {
	out, err := c.DynamoDB.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tableName), Key: map[string]types.AttributeValue{"job": s(job)}})
	if err != nil {
		return nil, fmt.Errorf("reading job %s from table %s: %w", job, tableName, err)
	}
	if out.Item == nil {
		return nil, nil
	}
	it := out.Item
	j := &Job{Job: str(it, "job"), Run: str(it, "run"), Status: str(it, "status"), Key: str(it, "key"), Bases: num(it, "bases"), Chunks: num(it, "chunks"),
		Scorer: str(it, "scorer"), Error: str(it, "error"), Started: str(it, "started"), Finished: str(it, "finished")}
	if t := str(it, "targets"); t != "" {
		if err := json.Unmarshal([]byte(t), &j.Targets); err != nil {
			return nil, fmt.Errorf("job %s: its targets are not JSON: %w", job, err)
		}
	}
	return j, nil
}

// PutChunk writes the result of one chunk.
func (c *Clients) PutChunk(ctx context.Context, tableName string, r ChunkResult) error {
	targets, err := json.Marshal(r.Targets)
	if err != nil {
		return err
	}
	_, err = c.DynamoDB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(tableName), Item: map[string]types.AttributeValue{
		"job": s(r.Job), "chunk": n(r.Chunk), "run": s(r.Run), "scorer": s(r.Scorer), "targets": s(string(targets)),
	}})
	if err != nil {
		return fmt.Errorf("writing chunk %d of job %s to table %s: %w", r.Chunk, r.Job, tableName, err)
	}
	return nil
}

// Chunks reads the results of a job's chunks of one run.
func (c *Clients) Chunks(ctx context.Context, tableName, job, run string) ([]ChunkResult, error) {
	out, err := c.DynamoDB.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(tableName),
		KeyConditionExpression:    aws.String("#job = :job"),
		ExpressionAttributeNames:  map[string]string{"#job": "job"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":job": s(job)}})
	if err != nil {
		return nil, fmt.Errorf("querying the chunks of job %s in table %s: %w", job, tableName, err)
	}
	var rs []ChunkResult
	for _, it := range out.Items {
		if str(it, "run") != run {
			continue // an earlier upload of the same file
		}
		r := ChunkResult{Job: job, Chunk: num(it, "chunk"), Run: run, Scorer: str(it, "scorer")}
		if err := json.Unmarshal([]byte(str(it, "targets")), &r.Targets); err != nil {
			return nil, fmt.Errorf("chunk %d of job %s: its targets are not JSON: %w", r.Chunk, job, err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// DeleteChunk removes the result of one chunk.
func (c *Clients) DeleteChunk(ctx context.Context, tableName, job string, chunk int) error {
	_, err := c.DynamoDB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tableName),
		Key: map[string]types.AttributeValue{"job": s(job), "chunk": n(chunk)}})
	if err != nil {
		return fmt.Errorf("deleting chunk %d of job %s from table %s: %w", chunk, job, tableName, err)
	}
	return nil
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v int) types.AttributeValue    { return &types.AttributeValueMemberN{Value: strconv.Itoa(v)} }

func str(it map[string]types.AttributeValue, k string) string {
	if v, ok := it[k].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

func num(it map[string]types.AttributeValue, k string) int {
	if v, ok := it[k].(*types.AttributeValueMemberN); ok {
		n, _ := strconv.Atoi(v.Value)
		return n
	}
	return 0
}
