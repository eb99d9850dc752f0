package server

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/runtime"
)

// platformOf serves the control API of a runtime with no routes.
type platformOf struct{ *runtime.Runtime }

func (platformOf) Routes() []RouteInfo { return nil }

// A bare runtime keeps no deployments.
func (platformOf) ControlDeploy(context.Context, []byte) (any, int, error) {
	return nil, http.StatusNotImplemented, errors.New("no deployments here")
}
func (platformOf) ControlDeployments(context.Context) (any, error) { return []any{}, nil }
func (platformOf) ControlRollback(context.Context, int) (any, int, error) {
	return nil, http.StatusNotImplemented, errors.New("no deployments here")
}

// 'stacklab logs' takes the logical id as 'stacklab invoke' does, also for a
// function whose FunctionName differs from it.
func TestLogsByLogicalID(t *testing.T) {
	logs := runtime.NewLogs("")
	rt := runtime.New(runtime.Options{Logs: logs})
	defer rt.Close()
	rt.Deploy([]*runtime.Spec{{ID: "Hello", Name: "hello-fn", Runtime: "provided.al2023", Command: []string{"/bin/true"}, MemoryMB: 128, Timeout: time.Second, Reserved: -1}})
	// An invocation's lines are logged under the function's name.
	rt.Invoke(t.Context(), invoke.Request{Function: "hello-fn", Payload: []byte(`{}`)})
	srv := httptest.NewServer(&Control{Token: "t", Platform: platformOf{rt}})
	defer srv.Close()
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/v1/logs?function=Hello", nil)
	req.Header.Set("Authorization", "Bearer t")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var n int
	for sc.Scan() {
		if strings.Contains(sc.Text(), "START RequestId") {
			n++
		}
	}
	if n == 0 {
		t.Errorf("logs of Hello (hello-fn) by its logical id: no START line")
	}
}
