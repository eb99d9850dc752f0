package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/invoke"
)

// TestAWSRequestsGoToTheAWSHandler checks that POSTs with an X-Amz-Target
// header reach Config.AWS and every other request does not.
func TestAWSRequestsGoToTheAWSHandler(t *testing.T) {
	var got []string
	aws := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Get("X-Amz-Target"))
		w.WriteHeader(http.StatusTeapot)
	})
	g, err := New(Config{Invoker: answer(invoke.Result{Payload: []byte(`{}`)}, nil), AWS: aws})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		method, target string
		want           int
	}{
		{"POST", "AmazonSQS.SendMessage", http.StatusTeapot},
		{"POST", "DynamoDB_20120810.PutItem", http.StatusTeapot},
		{"POST", "", http.StatusNotFound},
		{"GET", "AmazonSQS.SendMessage", http.StatusNotFound},
	} {
		r := httptest.NewRequest(tc.method, "/", strings.NewReader("{}"))
		if tc.target != "" {
			r.Header.Set("X-Amz-Target", tc.target)
		}
		w := httptest.NewRecorder()
		g.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s / with X-Amz-Target %q: status %d, want %d", tc.method, tc.target, w.Code, tc.want)
		}
	}
	if len(got) != 2 {
		t.Errorf("the AWS handler got %q, want the two AWS requests", got)
	}
}
