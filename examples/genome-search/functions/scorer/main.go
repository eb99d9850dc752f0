// Command scorer is the second step of the genome-search example: it
// takes chunks from the chunk queue (an SQS event source mapping), finds
// and scores the CRISPR target sites in each with the scanner SCORER
// names ("naive" or "fast"), and writes each chunk's best TOP_TARGETS to
// the chunks table. A chunk that fails is reported alone
// (ReportBatchItemFailures), so the rest of the batch is not redone.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stacklab/stacklab/examples/genome-search/crispr"
	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
)

// scanners are the variants a template picks with its Scorer parameter.
var scanners = map[string]func(crispr.Chunk, int) []crispr.Target{
	"naive": crispr.Naive,
	"fast":  crispr.Fast,
}

type scorer struct {
	clients *pipeline.Clients
	chunks  string
	name    string
	scan    func(crispr.Chunk, int) []crispr.Target
	top     int
}

func (s *scorer) handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	for _, m := range ev.Records {
		if err := s.score(ctx, m.Body); err != nil {
			log.Printf("message %s: %v", m.MessageId, err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: m.MessageId})
		}
	}
	return resp, nil
}

func (s *scorer) score(ctx context.Context, body string) error {
	var msg pipeline.ChunkMessage
	if err := json.Unmarshal([]byte(body), &msg); err != nil {
		return fmt.Errorf("the message is not a chunk: %w", err)
	}
	targets := s.scan(msg.Chunk, s.top)
	return s.clients.PutChunk(ctx, s.chunks, pipeline.ChunkResult{Job: msg.Job, Chunk: msg.Index, Run: msg.Run, Scorer: s.name, Targets: targets})
}

func main() {
	ctx := context.Background()
	s := scorer{name: os.Getenv("SCORER")}
	var ok bool
	if s.scan, ok = scanners[s.name]; !ok {
		log.Fatalf("environment variable SCORER is %q; want naive or fast", s.name)
	}
	var err error
	if s.clients, err = pipeline.NewClients(ctx); err != nil {
		log.Fatal(err)
	}
	if s.chunks, err = pipeline.Env("CHUNKS_TABLE"); err != nil {
		log.Fatal(err)
	}
	if s.top, err = pipeline.EnvInt("TOP_TARGETS", 100); err != nil {
		log.Fatal(err)
	}
	lambda.Start(s.handle)
}
