package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTokenIsCreatedOncePrivate(t *testing.T) {
	st := State{Dir: filepath.Join(t.TempDir(), ".stacklab")}
	if _, err := st.ReadToken(); err == nil {
		t.Fatal("ReadToken before any token exists: want an error")
	}
	tok, err := st.Token()
	if err != nil || len(tok) != 64 {
		t.Fatalf("Token() = %q, %v; want 64 hex characters", tok, err)
	}
	info, err := os.Stat(filepath.Join(st.Dir, "token"))
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("token file mode %v (%v), want 0600", info.Mode().Perm(), err)
	}
	if dir, _ := os.Stat(st.Dir); dir.Mode().Perm() != 0o700 {
		t.Errorf("state directory mode %v, want 0700", dir.Mode().Perm())
	}
	again, _ := st.Token()
	read, _ := st.ReadToken()
	if again != tok || read != tok {
		t.Errorf("the token changed: %q, %q, %q", tok, again, read)
	}
}

func TestEndpoints(t *testing.T) {
	st := State{Dir: t.TempDir()}
	if _, err := st.ReadEndpoints(); err == nil || !strings.Contains(err.Error(), "stacklab up") {
		t.Fatalf("no endpoints yet: %v, want an error that says to start stacklab up", err)
	}
	want := Endpoints{Gateway: "http://127.0.0.1:3000", Control: "http://127.0.0.1:3001", PID: 42}
	if err := st.WriteEndpoints(want); err != nil {
		t.Fatal(err)
	}
	got, err := st.ReadEndpoints()
	if err != nil || got != want {
		t.Errorf("got %+v, %v; want %+v", got, err, want)
	}
	st.RemoveEndpoints()
	if _, err := st.ReadEndpoints(); err == nil {
		t.Error("endpoints still there after RemoveEndpoints")
	}
}

func TestEmptyTokenFileIsReplaced(t *testing.T) {
	st := State{Dir: t.TempDir()}
	if err := os.WriteFile(filepath.Join(st.Dir, "token"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tok, err := st.Token()
	if err != nil || len(tok) != 64 {
		t.Fatalf("Token() after a crash left an empty file: %q, %v", tok, err)
	}
}
