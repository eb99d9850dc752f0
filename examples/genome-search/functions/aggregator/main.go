// Command aggregator is the third step of the genome-search example: it
// follows the chunks table's stream and, once every chunk of a job's
// latest upload is scored, merges their targets, ranks them, and writes
// the best TOP_TARGETS to the job in the jobs table with status "done",
// then removes the chunks' results. Seeing a job twice is harmless: the
// result written is the same.
package main

import (
	"context"
	"log"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stacklab/stacklab/examples/genome-search/crispr"
	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
)

type aggregator struct {
	clients *pipeline.Clients
	jobs    string
	chunks  string
	top     int
}

func (a *aggregator) handle(ctx context.Context, ev events.DynamoDBEvent) error {
	seen := map[string]bool{}
	for _, r := range ev.Records {
		if r.EventName == "REMOVE" {
			continue
		}
		k, ok := r.Change.Keys["job"]
		if !ok || k.DataType() != events.DataTypeString {
			log.Printf("record %s: no string key \"job\"; is this the chunks table's stream?", r.EventID)
			continue
		}
		job := k.String()
		if seen[job] {
			continue
		}
		seen[job] = true
		if err := a.aggregate(ctx, job); err != nil {
			return err // the batch is retried
		}
	}
	return nil
}

func (a *aggregator) aggregate(ctx context.Context, id string) error {
	job, err := a.clients.GetJob(ctx, a.jobs, id)
	if err != nil || job == nil || job.Status != pipeline.Scoring {
		return err
	}
	results, err := a.clients.Chunks(ctx, a.chunks, id, job.Run)
	if err != nil {
		return err
	}
	if len(results) < job.Chunks {
		return nil // more to come
	}
	lists := make([][]crispr.Target, 0, len(results))
	for _, r := range results {
		lists = append(lists, r.Targets)
		job.Scorer = r.Scorer
	}
	job.Targets = crispr.Merge(lists, a.top)
	job.Status, job.Finished = pipeline.Done, time.Now().UTC().Format(time.RFC3339Nano)
	if err := a.clients.PutJob(ctx, a.jobs, *job); err != nil {
		return err
	}
	log.Printf("job %s: done, %d chunks, %d targets kept", id, len(results), len(job.Targets))
	// The chunks' results were work in progress; the job has the answer.
	for _, r := range results {
		if err := a.clients.DeleteChunk(ctx, a.chunks, id, r.Chunk); err != nil {
			log.Print(err) // the job is done; a chunk left over is only clutter
		}
	}
	return nil
}

func main() {
	ctx := context.Background()
	var a aggregator
	var err error
	if a.clients, err = pipeline.NewClients(ctx); err != nil {
		log.Fatal(err)
	}
	if a.jobs, err = pipeline.Env("JOBS_TABLE"); err != nil {
		log.Fatal(err)
	}
	if a.chunks, err = pipeline.Env("CHUNKS_TABLE"); err != nil {
		log.Fatal(err)
	}
	if a.top, err = pipeline.EnvInt("TOP_TARGETS", 100); err != nil {
		log.Fatal(err)
	}
	lambda.Start(a.handle)
}
