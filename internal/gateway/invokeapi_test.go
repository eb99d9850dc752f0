package gateway

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/stacklab/stacklab/internal/invoke"
)

// sdkClient starts the gateway on inv behind an httptest.Server and returns
// the real AWS SDK Lambda client pointed at it.
func sdkClient(t *testing.T, inv invoke.Invoker) *lambda.Client {
	t.Helper()
	g, err := New(Config{Invoker: inv})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return lambda.New(lambda.Options{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""),
		BaseEndpoint:     aws.String(srv.URL),
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,
	})
}

func TestSDKInvokeRequestResponse(t *testing.T) {
	inv := answer(invoke.Result{RequestID: "r-1", Payload: []byte(`{"hello":"world"}`), Version: "$LATEST"}, nil)
	client := sdkClient(t, inv)
	out, err := client.Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("Hello"),
		Payload:      []byte(`{"name":"stacklab"}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(out.Payload), `{"hello":"world"}`; got != want {
		t.Errorf("payload: got %s, want %s", got, want)
	}
	if out.StatusCode != 200 {
		t.Errorf("status: got %d, want 200", out.StatusCode)
	}
	if got := aws.ToString(out.ExecutedVersion); got != "$LATEST" {
		t.Errorf("executed version: got %q, want $LATEST", got)
	}
	if out.FunctionError != nil {
		t.Errorf("function error: got %q, want none", *out.FunctionError)
	}
	req := inv.last(t)
	if req.Function != "Hello" || req.Type != invoke.RequestResponse || string(req.Payload) != `{"name":"stacklab"}` || req.LogTail {
		t.Errorf("invoker got %+v", req)
	}
}

func TestSDKInvokeFunctionNames(t *testing.T) {
	for _, tc := range []struct {
		name, qualifier string
		want            string
	}{
		{"Hello", "", "Hello"},
		{"Hello", "$LATEST", "Hello"},
		{"Hello", "live", "Hello:live"},
		{"Hello:7", "", "Hello:7"},
		{"arn:aws:lambda:us-east-1:123456789012:function:Hello", "", "Hello"},
		{"arn:aws:lambda:us-east-1:123456789012:function:Hello:live", "", "Hello:live"},
		{"arn:aws:lambda:us-east-1:123456789012:function:Hello:live", "live", "Hello:live"},
		{"123456789012:function:Hello", "", "Hello"},
	} {
		t.Run(tc.name+"@"+tc.qualifier, func(t *testing.T) {
			inv := answer(invoke.Result{Payload: []byte(`1`)}, nil)
			in := &lambda.InvokeInput{FunctionName: aws.String(tc.name)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			if _, err := sdkClient(t, inv).Invoke(context.Background(), in); err != nil {
				t.Fatal(err)
			}
			if got := inv.last(t).Function; got != tc.want {
				t.Errorf("function: got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestSDKInvokeQualifierMismatch(t *testing.T) {
	inv := answer(invoke.Result{}, nil)
	_, err := sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("arn:aws:lambda:us-east-1:123456789012:function:Hello:live"),
		Qualifier:    aws.String("7"),
	})
	var e *types.InvalidParameterValueException
	if !errors.As(err, &e) {
		t.Fatalf("got %v (%T), want InvalidParameterValueException", err, err)
	}
	if inv.count() != 0 {
		t.Errorf("the invoker was called")
	}
}

func TestSDKInvokeFunctionError(t *testing.T) {
	doc := `{"errorMessage":"boom","errorType":"Error"}`
	inv := answer(invoke.Result{Payload: []byte(doc), FunctionError: "Unhandled", Version: "$LATEST"}, nil)
	out, err := sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Fails")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(out.FunctionError); got != "Unhandled" {
		t.Errorf("function error: got %q, want Unhandled", got)
	}
	if out.StatusCode != 200 {
		t.Errorf("status: got %d, want 200", out.StatusCode)
	}
	if string(out.Payload) != doc {
		t.Errorf("payload: got %s, want %s", out.Payload, doc)
	}
}

func TestSDKInvokeLogTail(t *testing.T) {
	log := bytes.Repeat([]byte("0123456789abcdef"), 400) // 6400 bytes
	log = append(log, "END RequestId: r-1\n"...)
	inv := answer(invoke.Result{Payload: []byte(`{}`), LogTail: log}, nil)
	out, err := sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName: aws.String("Hello"),
		LogType:      types.LogTypeTail,
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := base64.StdEncoding.DecodeString(aws.ToString(out.LogResult))
	if err != nil {
		t.Fatalf("log result is not base64: %v", err)
	}
	if want := log[len(log)-4096:]; !bytes.Equal(got, want) {
		t.Errorf("log result: got %d bytes ending %q, want the last 4096 bytes", len(got), got[max(0, len(got)-20):])
	}
	if !inv.last(t).LogTail {
		t.Errorf("the invoker was not asked for the log tail")
	}

	// Without Tail there is no log.
	out, err = sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Hello")})
	if err != nil {
		t.Fatal(err)
	}
	if out.LogResult != nil {
		t.Errorf("log result without Tail: got %q", *out.LogResult)
	}
}

func TestSDKInvokeEventAndDryRun(t *testing.T) {
	for _, tc := range []struct {
		typ    types.InvocationType
		status int32
	}{
		{types.InvocationTypeEvent, 202},
		{types.InvocationTypeDryRun, 204},
	} {
		t.Run(string(tc.typ), func(t *testing.T) {
			inv := answer(invoke.Result{RequestID: "r-2"}, nil)
			out, err := sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{
				FunctionName:   aws.String("Hello"),
				InvocationType: tc.typ,
				Payload:        []byte(`{"a":1}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.StatusCode != tc.status {
				t.Errorf("status: got %d, want %d", out.StatusCode, tc.status)
			}
			if len(out.Payload) != 0 {
				t.Errorf("payload: got %q, want none", out.Payload)
			}
			if got := inv.last(t).Type; got != invoke.Type(tc.typ) {
				t.Errorf("invoker got type %q, want %q", got, tc.typ)
			}
		})
	}
}

func TestSDKInvokeClientContext(t *testing.T) {
	cc := base64.StdEncoding.EncodeToString([]byte(`{"custom":{"k":"v"}}`))
	inv := answer(invoke.Result{Payload: []byte(`{}`)}, nil)
	if _, err := sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{
		FunctionName:  aws.String("Hello"),
		ClientContext: aws.String(cc),
	}); err != nil {
		t.Fatal(err)
	}
	if got := inv.last(t).ClientContext; got != cc {
		t.Errorf("client context: got %q, want %q", got, cc)
	}
}

func TestSDKInvokeErrors(t *testing.T) {
	big := bytes.Repeat([]byte(" "), invoke.MaxSyncPayload)
	big[0], big[len(big)-1] = '"', '"'
	tooBig := append([]byte(`"`), bytes.Repeat([]byte("x"), invoke.MaxSyncPayload)...)
	tooBig = append(tooBig, '"')
	asyncTooBig := append([]byte(`"`), bytes.Repeat([]byte("x"), invoke.MaxAsyncPayload)...)
	asyncTooBig = append(asyncTooBig, '"')

	for _, tc := range []struct {
		name    string
		in      *lambda.InvokeInput
		err     error // what the invoker returns
		want    func(error) bool
		message string // in the error's message
		invoked bool
	}{
		{
			name:    "not found",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Nope")},
			err:     invoke.ErrNotFound,
			want:    isErr[*types.ResourceNotFoundException],
			message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope",
			invoked: true,
		},
		{
			name:    "not found with the invoker's message",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Nope")},
			err:     invoke.Errorf(invoke.ErrNotFound, "Function not found: Nope"),
			want:    isErr[*types.ResourceNotFoundException],
			message: "Function not found: Nope",
			invoked: true,
		},
		{
			name:    "throttled",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Busy")},
			err:     invoke.Errorf(invoke.ErrTooManyRequests, "Rate Exceeded."),
			want:    isErr[*types.TooManyRequestsException],
			message: "Rate Exceeded.",
			invoked: true,
		},
		{
			name:    "too large",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: tooBig},
			want:    isErr[*types.RequestTooLargeException],
			message: "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
		},
		{
			name:    "too large for an event",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: asyncTooBig, InvocationType: types.InvocationTypeEvent},
			want:    isErr[*types.RequestTooLargeException],
			message: "Request must be smaller than 262144 bytes",
		},
		{
			name:    "not json",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: []byte(`{"a":`)},
			want:    isErr[*types.InvalidRequestContentException],
			message: "Could not parse request body into json: ",
		},
		{
			name:    "bad client context",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Hello"), ClientContext: aws.String("%%%")},
			want:    isErr[*types.InvalidRequestContentException],
			message: "Client context must be a valid Base64-encoded JSON object",
		},
		{
			name:    "service error",
			in:      &lambda.InvokeInput{FunctionName: aws.String("Hello")},
			err:     errors.New("the bus is down"),
			want:    isErr[*types.ServiceException],
			message: "the bus is down",
			invoked: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inv := answer(invoke.Result{}, tc.err)
			_, err := sdkClient(t, inv).Invoke(context.Background(), tc.in)
			if err == nil || !tc.want(err) {
				t.Fatalf("got error %v (%T)", err, err)
			}
			if !strings.Contains(err.Error(), tc.message) {
				t.Errorf("message: got %q, want it to contain %q", err.Error(), tc.message)
			}
			if got := inv.count() > 0; got != tc.invoked {
				t.Errorf("invoker called: got %v, want %v", got, tc.invoked)
			}
		})
	}

	// Exactly the limit is fine.
	inv := answer(invoke.Result{Payload: []byte(`{}`)}, nil)
	if _, err := sdkClient(t, inv).Invoke(context.Background(), &lambda.InvokeInput{FunctionName: aws.String("Hello"), Payload: big}); err != nil {
		t.Errorf("a payload of exactly %d bytes: %v", len(big), err)
	}
}

func isErr[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// TestInvokeErrorDocument checks the wire form of a service error: the
// x-amzn-ErrorType header and the {"Type","message"} body.
func TestInvokeErrorDocument(t *testing.T) {
	g, err := New(Config{Invoker: answer(invoke.Result{}, invoke.Errorf(invoke.ErrTooManyRequests, "Rate Exceeded."))})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("POST", "/2015-03-31/functions/Hello/invocations", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240305/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=deadbeef")
	g.ServeHTTP(rec, req)
	if rec.Code != http.StatusTooManyRequests {
		t.Errorf("status: got %d, want 429", rec.Code)
	}
	if got := rec.Header().Get("X-Amzn-ErrorType"); got != "TooManyRequestsException" {
		t.Errorf("x-amzn-ErrorType: got %q", got)
	}
	var doc map[string]string
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if want := map[string]string{"Type": "User", "message": "Rate Exceeded."}; doc["Type"] != want["Type"] || doc["message"] != want["message"] || len(doc) != 2 {
		t.Errorf("body: got %v, want %v", doc, want)
	}
}

func TestInvokeUnknownOperation(t *testing.T) {
	g, err := New(Config{Invoker: answer(invoke.Result{}, nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ method, path string }{
		{"GET", "/2015-03-31/functions/Hello/invocations"},
		{"POST", "/2015-03-31/functions/Hello/configuration"},
		{"POST", "/2015-03-31/functions//invocations"},
	} {
		rec := httptest.NewRecorder()
		g.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
		if rec.Code != http.StatusNotFound || rec.Header().Get("X-Amzn-ErrorType") != "UnknownOperationException" {
			t.Errorf("%s %s: got %d %q", tc.method, tc.path, rec.Code, rec.Header().Get("X-Amzn-ErrorType"))
		}
	}
}

func TestFunctionName(t *testing.T) {
	for _, tc := range []struct {
		raw, qualifier, want string
		bad                  bool
	}{
		{raw: "Hello", want: "Hello"},
		{raw: "Hello:$LATEST", want: "Hello"},
		{raw: "Hello:", bad: true},
		{raw: ":x", bad: true},
		{raw: "a:b:c", bad: true},
		{raw: "arn:aws:lambda:us-east-1:123456789012:function:Hello:1", qualifier: "2", bad: true},
		{raw: "arn:aws:s3:::bucket", bad: true},
		{raw: "arn:aws:lambda:us-east-1:123456789012:function:", bad: true},
	} {
		got, err := functionName(tc.raw, tc.qualifier)
		if (err != nil) != tc.bad || got != tc.want {
			t.Errorf("functionName(%q, %q): got %q, %v; want %q, bad %v", tc.raw, tc.qualifier, got, err, tc.want, tc.bad)
		}
	}
}
