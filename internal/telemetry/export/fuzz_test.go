package export

import (
	"strings"
	"testing"
)

// FuzzEndpoint checks that any configured endpoint either is rejected with an
// error or yields a host:port and a path to post to.
func FuzzEndpoint(f *testing.F) {
	for _, s := range []string{"http://localhost:4318", "https://x/v1/traces", "localhost:4317", "", "http://", "::::", "http://[::1]:4318/"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, raw string, insecure bool) {
		ep, err := Config{Endpoint: raw, Insecure: insecure}.endpoint()
		if err != nil {
			return
		}
		if ep.hostPort == "" || !strings.HasPrefix(ep.path, "/") {
			t.Fatalf("endpoint(%q) = %+v: no host or a relative path", raw, ep)
		}
	})
}
