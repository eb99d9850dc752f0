package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// State is the state directory of a platform (./.stacklab by default).
type State struct{ Dir string }

// Endpoints says where a running platform listens.
type Endpoints struct {
	Gateway string `json:"gateway"` // http://127.0.0.1:3000
	Control string `json:"control"` // http://127.0.0.1:3001
	PID     int    `json:"pid"`
}

func (s State) tokenPath() string     { return filepath.Join(s.Dir, "token") }
func (s State) endpointsPath() string { return filepath.Join(s.Dir, "endpoints.json") }

// Token returns the control token, creating it (mode 0600) at first use.
func (s State) Token() (string, error) {
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		return "", fmt.Errorf("creating the state directory %s: %w", s.Dir, err)
	}
	b, err := os.ReadFile(s.tokenPath())
	if err == nil {
		if t := strings.TrimSpace(string(b)); t != "" {
			return t, nil
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("reading the control token: %w", err)
	}
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(raw[:])
	// O_TRUNC: an empty token file left by a crash is rewritten.
	f, err := os.OpenFile(s.tokenPath(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return "", fmt.Errorf("writing the control token: %w", err)
	}
	defer f.Close()
	_, err = f.WriteString(tok + "\n")
	return tok, err
}

// ReadToken returns the token of an existing state directory.
func (s State) ReadToken() (string, error) {
	b, err := os.ReadFile(s.tokenPath())
	if err != nil {
		return "", fmt.Errorf("no control token in %s (is stacklab up running there?): %w", s.Dir, err)
	}
	return strings.TrimSpace(string(b)), nil
}

// WriteEndpoints records where the platform listens.
func (s State) WriteEndpoints(e Endpoints) error {
	b, _ := json.MarshalIndent(e, "", "  ")
	tmp := s.endpointsPath() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, s.endpointsPath())
}

// ReadEndpoints returns where a running platform listens.
func (s State) ReadEndpoints() (Endpoints, error) {
	var e Endpoints
	b, err := os.ReadFile(s.endpointsPath())
	if err != nil {
		return e, fmt.Errorf("no running stacklab found in %s: start one with 'stacklab up', or give --state", s.Dir)
	}
	return e, json.Unmarshal(b, &e)
}

// RemoveEndpoints forgets the endpoints at shutdown.
func (s State) RemoveEndpoints() { os.Remove(s.endpointsPath()) }
