// Command counter is the function of the kill -9 test of the event
// services, written as for AWS Lambda with aws-lambda-go: it waits
// SLEEP_MS milliseconds, then appends one line per item it was given to
// the file COUNT_FILE, outside the platform, so that the count survives a
// kill of the platform. An item is an SQS record (its body), an S3 record
// (its object key) or a plain event (its "id").
package main

import (
	"context"
	"errors"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
)

type event struct {
	ID      string `json:"id"`
	Records []struct {
		Body string `json:"body"`
		S3   *struct {
			Object struct {
				Key string `json:"key"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

func handle(ctx context.Context, ev event) (map[string]int, error) {
	if ms, _ := strconv.Atoi(os.Getenv("SLEEP_MS")); ms > 0 {
		time.Sleep(time.Duration(ms) * time.Millisecond)
	}
	var lines strings.Builder
	n := 0
	if ev.ID != "" {
		lines.WriteString(ev.ID + "\n")
		n++
	}
	for _, r := range ev.Records {
		item := r.Body
		if r.S3 != nil {
			// S3 event records carry the key URL-encoded.
			item, _ = url.QueryUnescape(r.S3.Object.Key)
		}
		lines.WriteString(item + "\n")
		n++
	}
	if n == 0 {
		return nil, errors.New("the event has no id and no Records")
	}
	f, err := os.OpenFile(os.Getenv("COUNT_FILE"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	// One write with O_APPEND: the lines of concurrent instances do not
	// interleave.
	_, err = f.WriteString(lines.String())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return map[string]int{"items": n}, err
}

func main() { lambda.Start(handle) }
