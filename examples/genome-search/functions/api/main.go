// Command api is the HTTP API of the genome-search example: GET
// /jobs/{id} answers the job as JSON — its status, and once it is done
// the ranked targets (?top=N for the best N only). An unknown job is 404.
package main

import (
	"context"
	"encoding/json"
	"log"
	"strconv"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"

	"github.com/stacklab/stacklab/examples/genome-search/pipeline"
)

type api struct {
	clients *pipeline.Clients
	jobs    string
}

func (a *api) handle(ctx context.Context, req events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	id := req.PathParameters["id"]
	top := 0
	if v, ok := req.QueryStringParameters["top"]; ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return reply(400, map[string]string{"message": "top must be a positive integer, like ?top=10"}), nil
		}
		top = n
	}
	job, err := a.clients.GetJob(ctx, a.jobs, id)
	if err != nil {
		log.Print(err)
		return reply(500, map[string]string{"message": "reading the job failed; see the function's logs"}), nil
	}
	if job == nil {
		return reply(404, map[string]string{"message": "no job " + strconv.Quote(id) + "; upload a FASTA file to the input bucket to start one"}), nil
	}
	if top > 0 && len(job.Targets) > top {
		job.Targets = job.Targets[:top]
	}
	return reply(200, job), nil
}

func reply(status int, v any) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(v)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": "application/json"}, Body: string(b)}
}

func main() {
	ctx := context.Background()
	var a api
	var err error
	if a.clients, err = pipeline.NewClients(ctx); err != nil {
		log.Fatal(err)
	}
	if a.jobs, err = pipeline.Env("JOBS_TABLE"); err != nil {
		log.Fatal(err)
	}
	lambda.Start(a.handle)
}
