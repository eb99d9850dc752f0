// Command splitter is the first step of the genome-search example: for
// each FASTA file uploaded to the input bucket (an S3 event) it reads the
// object, records the job in the jobs table, and sends the sequence to the
// chunk queue in chunks of CHUNK_SIZE bases.
//
// It talks to S3, SQS and DynamoDB through the AWS SDK for Go v2,
// unmodified: on stacklab the AWS_ENDPOINT_URL_* variables point it at the
// platform.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/url"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/stacklab/stacklab/examples/genome-search/crispr"
	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
)

// maxBatchBytes keeps a SendMessageBatch under SQS's 256 KB.
const maxBatchBytes = 200 << 10

type splitter struct {
	clients   *pipeline.Clients
	queue     string
	jobs      string
	chunkSize int
}

func (s *splitter) handle(ctx context.Context, ev events.S3Event) error {
	for _, rec := range ev.Records {
		key, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			return fmt.Errorf("object key %q: %w", rec.S3.Object.Key, err)
		}
		if err := s.split(ctx, rec.S3.Bucket.Name, key, rec.S3.Object.Sequencer); err != nil {
			return err
		}
	}
	return nil
}

func (s *splitter) split(ctx context.Context, bucket, key, run string) error {
	job := pipeline.Job{Job: pipeline.JobID(key), Run: run, Status: pipeline.Scoring, Key: key, Started: time.Now().UTC().Format(time.RFC3339Nano)}
	if job.Run == "" {
		job.Run = job.Started
	}
	body, err := s.get(ctx, bucket, key)
	if err != nil {
		return err // retried: the object may be readable later
	}
	recs, err := crispr.ParseFASTA(bytes.NewReader(body))
	if err != nil {
		// A bad file stays bad: record why and stop.
		job.Status, job.Error = pipeline.Failed, fmt.Sprintf("s3://%s/%s: %v", bucket, key, err)
		log.Printf("job %s: %s", job.Job, job.Error)
		return s.clients.PutJob(ctx, s.jobs, job)
	}
	var chunks []crispr.Chunk
	for _, r := range recs {
		job.Bases += len(r.Bases)
		chunks = append(chunks, crispr.Split(r, s.chunkSize)...)
	}
	job.Chunks = len(chunks)
	if err := s.clients.PutJob(ctx, s.jobs, job); err != nil {
		return err
	}
	var batch []types.SendMessageBatchRequestEntry
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		out, err := s.clients.SQS.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(s.queue), Entries: batch})
		if err != nil {
			return fmt.Errorf("job %s: sending chunks to %s: %w", job.Job, s.queue, err)
		}
		if len(out.Failed) > 0 {
			f := out.Failed[0]
			return fmt.Errorf("job %s: %d chunks not sent to %s, the first: %s %s", job.Job, len(out.Failed), s.queue, aws.ToString(f.Code), aws.ToString(f.Message))
		}
		batch, size = batch[:0], 0
		return nil
	}
	for i, c := range chunks {
		msg, err := json.Marshal(pipeline.ChunkMessage{Job: job.Job, Run: job.Run, Index: i, Total: len(chunks), Chunk: c})
		if err != nil {
			return err
		}
		if len(batch) == 10 || size+len(msg) > maxBatchBytes {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, types.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: aws.String(string(msg))})
		size += len(msg)
	}
	if err := flush(); err != nil {
		return err
	}
	log.Printf("job %s: %d bases in %d records, %d chunks sent", job.Job, job.Bases, len(recs), len(chunks))
	return nil
}

// get reads an object.
func (s *splitter) get(ctx context.Context, bucket, key string) ([]byte, error) {
	out, err := s.clients.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		return nil, fmt.Errorf("reading s3://%s/%s: %w", bucket, key, err)
	}
	return b, nil
}

func main() {
	ctx := context.Background()
	var s splitter
	var err error
	if s.clients, err = pipeline.NewClients(ctx); err != nil {
		log.Fatal(err)
	}
	for _, v := range []struct {
		name string
		to   *string
	}{{"CHUNK_QUEUE", &s.queue}, {"JOBS_TABLE", &s.jobs}} {
		if *v.to, err = pipeline.Env(v.name); err != nil {
			log.Fatal(err)
		}
	}
	if s.chunkSize, err = pipeline.EnvInt("CHUNK_SIZE", 20000); err != nil {
		log.Fatal(err)
	}
	lambda.Start(s.handle)
}
