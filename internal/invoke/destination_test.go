package invoke_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stacklab/stacklab/internal/invoke"
)

const fnARN = "arn:aws:lambda:us-east-1:123456789012:function:worker"

var at = time.Date(2026, 11, 22, 3, 4, 5, 678_000_000, time.UTC)

// TestRecordShape checks invocation records against the shape AWS
// documents for destinations.
func TestRecordShape(t *testing.T) {
	for _, tt := range []struct {
		name string
		o    invoke.Outcome
		want string
	}{
		{"success", invoke.Outcome{RequestID: "r1", Condition: invoke.ConditionSuccess, Attempts: 1, Payload: []byte(`{"a":1}`),
			StatusCode: 200, Response: []byte(`{"ok":true}`), Version: "$LATEST", Time: at},
			`{"version":"1.0","timestamp":"2026-11-22T03:04:05.678Z",
			  "requestContext":{"requestId":"r1","functionArn":"` + fnARN + `:$LATEST","condition":"Success","approximateInvokeCount":1},
			  "requestPayload":{"a":1},
			  "responseContext":{"statusCode":200,"executedVersion":"$LATEST"},
			  "responsePayload":{"ok":true}}`},
		{"retries exhausted", invoke.Outcome{RequestID: "r2", Condition: invoke.ConditionRetriesExhausted, Attempts: 3, Payload: []byte(`[1,2]`),
			StatusCode: 200, Response: []byte(`{"errorMessage":"boom","errorType":"errorString"}`), FunctionError: "Unhandled", Time: at},
			`{"version":"1.0","timestamp":"2026-11-22T03:04:05.678Z",
			  "requestContext":{"requestId":"r2","functionArn":"` + fnARN + `:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":3},
			  "requestPayload":[1,2],
			  "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},
			  "responsePayload":{"errorMessage":"boom","errorType":"errorString"}}`},
		{"expired while throttled", invoke.Outcome{RequestID: "r3", Condition: invoke.ConditionEventAgeExceeded, Payload: []byte(`{}`),
			StatusCode: 429, Time: at},
			`{"version":"1.0","timestamp":"2026-11-22T03:04:05.678Z",
			  "requestContext":{"requestId":"r3","functionArn":"` + fnARN + `:$LATEST","condition":"EventAgeExceeded","approximateInvokeCount":0},
			  "requestPayload":{},
			  "responseContext":{"statusCode":429}}`},
		{"expired after failing", invoke.Outcome{RequestID: "r4", Condition: invoke.ConditionEventAgeExceeded, Attempts: 2, Payload: []byte(`"s"`),
			StatusCode: 200, Time: at},
			`{"version":"1.0","timestamp":"2026-11-22T03:04:05.678Z",
			  "requestContext":{"requestId":"r4","functionArn":"` + fnARN + `:$LATEST","condition":"EventAgeExceeded","approximateInvokeCount":2},
			  "requestPayload":"s",
			  "responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"}}`},
		{"payload that is not JSON", invoke.Outcome{RequestID: "r5", Condition: invoke.ConditionSuccess, Attempts: 1, Payload: []byte(`not json`),
			Response: []byte(`null`), Time: at},
			`{"version":"1.0","timestamp":"2026-11-22T03:04:05.678Z",
			  "requestContext":{"requestId":"r5","functionArn":"` + fnARN + `:$LATEST","condition":"Success","approximateInvokeCount":1},
			  "requestPayload":"not json",
			  "responseContext":{"statusCode":200,"executedVersion":"$LATEST"},
			  "responsePayload":null}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.o.RecordJSON(fnARN)
			if err != nil {
				t.Fatal(err)
			}
			var got, want any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatalf("record is not JSON: %v\n%s", err, b)
			}
			if err := json.Unmarshal([]byte(tt.want), &want); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
		})
	}
}

// TestRecordTooLarge: a record over 256 KB loses its response payload
// first, then its request payload.
func TestRecordTooLarge(t *testing.T) {
	big := []byte(`"` + strings.Repeat("x", 200*1024) + `"`)
	o := invoke.Outcome{RequestID: "r", Condition: invoke.ConditionSuccess, Attempts: 1, Payload: big, Response: big, Time: at}
	b, _ := o.RecordJSON(fnARN)
	var r invoke.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if len(b) > invoke.MaxRecordSize || r.ResponsePayload != nil || len(r.RequestPayload) != len(big) {
		t.Errorf("record of %d bytes: response %d bytes, request %d bytes; want no response and the whole request", len(b), len(r.ResponsePayload), len(r.RequestPayload))
	}
	huge := []byte(`"` + strings.Repeat("y", 300*1024) + `"`)
	o.Payload = huge
	b, _ = o.RecordJSON(fnARN)
	r = invoke.Record{}
	json.Unmarshal(b, &r)
	if len(b) > invoke.MaxRecordSize || r.RequestPayload != nil || r.RequestContext.RequestID != "r" {
		t.Errorf("record of %d bytes with request %d bytes; want neither payload, the context kept", len(b), len(r.RequestPayload))
	}
}

// TestDeadLetterAttributes checks ErrorCode and ErrorMessage.
func TestDeadLetterAttributes(t *testing.T) {
	for _, tt := range []struct {
		name     string
		o        invoke.Outcome
		code     int
		message  string
		truncate bool
	}{
		{"function error", invoke.Outcome{FunctionError: "Unhandled", StatusCode: 200, Response: []byte(`{"errorMessage":"no stock","errorType":"errorString"}`)}, 200, "no stock", false},
		{"error document without message", invoke.Outcome{FunctionError: "Unhandled", Response: []byte(`{"x":1}`)}, 200, `{"x":1}`, false},
		{"service error", invoke.Outcome{StatusCode: 404, Error: "ResourceNotFoundException: Function not found"}, 404, "ResourceNotFoundException: Function not found", false},
		{"long message", invoke.Outcome{FunctionError: "Unhandled", Response: []byte(`{"errorMessage":"` + strings.Repeat("é", 1000) + `"}`)}, 200, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.o.ErrorCode(); got != tt.code {
				t.Errorf("ErrorCode %d, want %d", got, tt.code)
			}
			got := tt.o.ErrorMessage()
			if tt.truncate {
				if len(got) > invoke.MaxErrorMessage || len(got) < invoke.MaxErrorMessage-1 || !strings.HasPrefix(got, "éé") || !utf8.ValidString(got) {
					t.Errorf("ErrorMessage of %d bytes, want about %d bytes of whole characters", len(got), invoke.MaxErrorMessage)
				}
			} else if got != tt.message {
				t.Errorf("ErrorMessage %q, want %q", got, tt.message)
			}
		})
	}
}
