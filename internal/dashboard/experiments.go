package dashboard

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Experiment is one run kept under STATE/experiments (GET /v1/experiments):
// ID is its folder's name.
type Experiment struct {
	ID       string    `json:"id"`
	Name     string    `json:"name"`
	Started  time.Time `json:"started"`
	Verdicts []Verdict `json:"verdicts"`
}

// Verdict is one clause of the experiment and what the run decided.
type Verdict struct {
	Text    string `json:"text"`
	Verdict string `json:"verdict"`
}

// ErrNoExperiment is returned for an id that names no kept run.
var ErrNoExperiment = errors.New("no such experiment run")

// ErrBadExperimentID is returned for an id that is not a folder name.
var ErrBadExperimentID = errors.New("an experiment id is the name of its folder under STATE/experiments, without / or ..")

// Experiments lists the runs in dir (STATE/experiments) that have a
// report.json, newest first; none when dir does not exist.
func Experiments(dir string) ([]Experiment, error) {
	out := []Experiment{}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing experiment runs: %w", err)
	}
	for _, e := range ents {
		if !e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "report.json"))
		if err != nil {
			continue // a run still going, or not a run
		}
		// Only the fields listed here are read, so that the report's model
		// may grow without this knowing.
		var r struct {
			Name    string    `json:"name"`
			Started time.Time `json:"started"`
			Clauses []Verdict `json:"clauses"`
		}
		if json.Unmarshal(b, &r) != nil {
			continue
		}
		if r.Clauses == nil {
			r.Clauses = []Verdict{}
		}
		out = append(out, Experiment{ID: e.Name(), Name: r.Name, Started: r.Started, Verdicts: r.Clauses})
	}
	slices.SortFunc(out, func(a, b Experiment) int { return cmp.Or(b.Started.Compare(a.Started), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// ExperimentFile is the path of one file (report.json, report.html) of the
// run id in dir, checked to exist. ErrBadExperimentID for an id that could
// leave dir, ErrNoExperiment when the run or file is not there.
func ExperimentFile(dir, id, name string) (string, error) {
	if id == "" || id == "." || strings.Contains(id, "..") || strings.ContainsAny(id, `/\`) || strings.ContainsRune(id, 0) {
		return "", fmt.Errorf("experiment id %q: %w", id, ErrBadExperimentID)
	}
	path := filepath.Join(dir, id, name)
	if _, err := os.Stat(path); err != nil {
		return "", fmt.Errorf("experiment %q has no %s under %s: %w", id, name, dir, ErrNoExperiment)
	}
	return path, nil
}
