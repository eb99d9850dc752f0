// Command echo is a test function written as for AWS Lambda with
// aws-lambda-go: it answers what it saw, and misbehaves on request.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

var calls int

type event struct {
	SleepMS int    `json:"sleep_ms"`
	AllocMB int    `json:"alloc_mb"`
	Exit    *int   `json:"exit"`
	Panic   bool   `json:"panic"`
	Fail    string `json:"fail"`
	Print   string `json:"print"`
	// PrintPartial is printed without a newline.
	PrintPartial string `json:"print_partial"`
	ReadFile     string `json:"read_file"`
	Big          int    `json:"big"`
	SpewMB       int    `json:"spew_mb"`
	// Records is an SQS event: each body is printed; a body containing
	// "boom" fails the whole batch, one containing "bad" is reported in
	// batchItemFailures.
	// An S3 event's records print "s3 object: EVENT BUCKET KEY" instead,
	// an SNS event's "sns message: MESSAGE".
	Records []struct {
		MessageID string `json:"messageId"`
		Body      string `json:"body"`
		EventName string `json:"eventName"`
		S3        *struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
		Sns *struct {
			Message string `json:"Message"`
		} `json:"Sns"`
		// A DynamoDB stream record prints "dynamodb record: EVENT KEYS".
		DynamoDB *struct {
			Keys json.RawMessage `json:"Keys"`
		} `json:"dynamodb"`
	} `json:"Records"`
}

var hold [][]byte

func handle(ctx context.Context, ev event) (map[string]any, error) {
	calls++
	lc, _ := lambdacontext.FromContext(ctx)
	if ev.PrintPartial != "" {
		fmt.Print(ev.PrintPartial)
	}
	if ev.Print != "" {
		fmt.Println(ev.Print)
	}
	if ev.SpewMB > 0 {
		line := strings.Repeat("y", 1023) + "\n"
		w := bufio.NewWriterSize(os.Stdout, 1<<20)
		for i := 0; i < ev.SpewMB*1024; i++ {
			w.WriteString(line)
		}
		w.Flush()
	}
	if ev.SleepMS > 0 {
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	}
	if ev.AllocMB > 0 {
		for i := 0; i < ev.AllocMB; i++ {
			b := make([]byte, 1<<20)
			for j := range b {
				b[j] = byte(j)
			}
			hold = append(hold, b)
			time.Sleep(2 * time.Millisecond)
		}
	}
	if ev.Exit != nil {
		os.Exit(*ev.Exit)
	}
	if ev.Panic {
		panic("asked to panic")
	}
	if ev.Fail != "" {
		return nil, errors.New(ev.Fail)
	}
	failures := []map[string]string{}
	for _, r := range ev.Records {
		if r.Sns != nil {
			fmt.Println("sns message:", r.Sns.Message)
			continue
		}
		if r.DynamoDB != nil {
			fmt.Println("dynamodb record:", r.EventName, string(r.DynamoDB.Keys))
			continue
		}
		if r.S3 != nil {
			fmt.Println("s3 object:", r.EventName, r.S3.Bucket.Name, r.S3.Object.Key)
			continue
		}
		fmt.Println("sqs message:", r.Body)
		if strings.Contains(r.Body, "boom") {
			return nil, errors.New("boom in message " + r.MessageID)
		}
		if strings.Contains(r.Body, "bad") {
			failures = append(failures, map[string]string{"itemIdentifier": r.MessageID})
		}
	}
	out := map[string]any{
		"calls":      calls,
		"request_id": lc.AwsRequestID,
		"arn":        lc.InvokedFunctionArn,
		"function":   lambdacontext.FunctionName,
		"memory":     lambdacontext.MemoryLimitInMB,
		"version":    lambdacontext.FunctionVersion,
		"handler":    os.Getenv("_HANDLER"),
		"region":     os.Getenv("AWS_REGION"),
		"task_root":  os.Getenv("LAMBDA_TASK_ROOT"),
		"trace":      os.Getenv("_X_AMZN_TRACE_ID"),
		"greeting":   os.Getenv("GREETING"),
	}
	if dl, ok := ctx.Deadline(); ok {
		out["remaining_ms"] = time.Until(dl).Milliseconds()
	}
	if ev.ReadFile != "" {
		b, err := os.ReadFile(ev.ReadFile)
		out["read_error"] = fmt.Sprint(err)
		out["read"] = string(b)
	}
	if len(ev.Records) > 0 {
		out["batchItemFailures"] = failures
	}
	if ev.Big > 0 {
		out["big"] = strings.Repeat("x", ev.Big)
	}
	return out, nil
}

func main() { lambda.Start(handle) }
