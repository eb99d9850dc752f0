// Command noop is the services benchmark's function, written with
// aws-lambda-go as for AWS Lambda. It does nothing with its event; when
// STAMP is set it first prints "start <unix nanoseconds>", the moment its
// handler began, for the benchmark to read from the function's log.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

func main() {
	stamp := os.Getenv("STAMP") != ""
	lambda.Start(func(_ context.Context, _ json.RawMessage) (json.RawMessage, error) {
		if stamp {
			fmt.Println("start", time.Now().UnixNano())
		}
		return nil, nil
	})
}
