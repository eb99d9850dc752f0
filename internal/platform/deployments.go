package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/plan"
)

// deploymentsBucket is the JetStream key-value bucket of deployments: one
// key per version ("v00000001") and "current".
const deploymentsBucket = "STACKLAB_DEPLOYMENTS"

// Deployment is one numbered deploy of a template, kept in JetStream KV.
type Deployment struct {
	Version  int               `json:"version"`
	Template string            `json:"template"` // absolute path it was read from
	Source   string            `json:"source"`   // the template's text
	Params   map[string]string `json:"params,omitempty"`
	Time     time.Time         `json:"time"`
	// Live is when the deployment went live: its stack built and swapped
	// in, Time plus the build. Zero for a failed deployment, and for one
	// recorded by a stacklab before it was kept (wentLive reads Time then).
	Live     time.Time      `json:"live,omitzero"`
	Outcome  string         `json:"outcome"` // "deployed", "failed: ..." or, while it runs, "deploying"
	Summary  string         `json:"summary,omitempty"`
	Changes  plan.ChangeSet `json:"changes"`
	Rollback int            `json:"rollbackOf,omitempty"` // the version it went back to
}

func (p *Platform) kv(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := bus.EnsureKeyValue(ctx, p.bus.JetStream(), jetstream.KeyValueConfig{Bucket: deploymentsBucket, History: 1, Storage: jetstream.FileStorage})
	if err != nil {
		return nil, fmt.Errorf("opening the deployments bucket: %w", err)
	}
	return kv, nil
}

func versionKey(v int) string { return fmt.Sprintf("v%08d", v) }

// DeploySource deploys a template's text (read from file, whose folder
// CodeUri paths are relative to) and records it as the next version, with
// its change set against the stack running before. A failed deploy is
// recorded too, and changes nothing.
func (p *Platform) DeploySource(ctx context.Context, file string, src []byte, params map[string]string) (*Deployment, diag.List, error) {
	p.deployMu.Lock()
	defer p.deployMu.Unlock()
	return p.deploySource(ctx, file, src, params, 0)
}

func (p *Platform) deploySource(ctx context.Context, file string, src []byte, params map[string]string, rollbackOf int) (*Deployment, diag.List, error) {
	kv, err := p.kv(ctx)
	if err != nil {
		return nil, nil, err
	}
	d := &Deployment{Template: file, Source: string(src), Params: params, Time: time.Now().UTC(), Rollback: rollbackOf}
	// The version is known before the stack runs: its invocations are
	// recorded under it.
	if err := p.reserveVersion(ctx, kv, d); err != nil {
		return nil, nil, err
	}
	st, diags, derr := p.load(file, src, params)
	if derr == nil {
		d.Changes = plan.Diff(p.Stack(), st)
		d.Summary = d.Changes.Summary()
		derr = p.apply(ctx, st, file, d.Version)
	}
	d.Outcome = "deployed"
	if derr != nil {
		d.Outcome = "failed: " + firstLine(derr.Error())
	} else {
		d.Live = time.Now().UTC()
	}
	b, _ := json.Marshal(d)
	if _, perr := kv.Put(ctx, versionKey(d.Version), b); perr != nil {
		return nil, diags, fmt.Errorf("recording deployment %d: %w", d.Version, perr)
	}
	if derr != nil {
		return d, diags, derr
	}
	if _, perr := kv.Put(ctx, "current", []byte(strconv.Itoa(d.Version))); perr != nil {
		return nil, diags, fmt.Errorf("recording the current deployment: %w", perr)
	}
	return d, diags, nil
}

func firstLine(s string) string {
	for i, c := range s {
		if c == '\n' {
			return s[:i] + " ..."
		}
	}
	return s
}

// reserveVersion gives d the next version and records it as deploying.
// The record is created only if the version is free, so that platforms
// sharing one NATS and deploying at once take different versions.
func (p *Platform) reserveVersion(ctx context.Context, kv jetstream.KeyValue, d *Deployment) error {
	v, err := p.nextVersion(ctx, kv)
	if err != nil {
		return err
	}
	for range 1000 {
		d.Version, d.Outcome = v, "deploying"
		b, _ := json.Marshal(d)
		_, err := kv.Create(ctx, versionKey(v), b)
		if err == nil {
			return nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return fmt.Errorf("recording deployment %d: %w", v, err)
		}
		v++ // another platform took it
	}
	return fmt.Errorf("recording deployment %d: 1000 versions after it are taken by deploys under way", v)
}

// interrupted is the outcome of a deployment the platform stopped during.
const interrupted = "failed: interrupted: the platform stopped while deploying it; deploy again"

// endInterrupted records the deployments a platform left "deploying" when
// it stopped during them (a kill -9, a crash) as failed, so that they are
// not listed as under way for ever. Only a platform on the embedded NATS
// server may do so: it is alone there, so nothing else is deploying. The
// stack that ran before is resumed (the current deployment did not change).
func (p *Platform) endInterrupted(ctx context.Context) error {
	kv, err := p.kv(ctx)
	if err != nil {
		return err
	}
	list, err := p.deploymentsIn(ctx, kv)
	if err != nil {
		return err
	}
	for _, d := range list {
		if d.Outcome != "deploying" {
			continue
		}
		d.Outcome = interrupted
		b, _ := json.Marshal(d)
		if _, err := kv.Put(ctx, versionKey(d.Version), b); err != nil {
			return fmt.Errorf("recording deployment %d as interrupted: %w", d.Version, err)
		}
		p.log.Warn("a deployment was interrupted by the platform stopping; it did not go live", "version", d.Version, "template", d.Template)
	}
	return nil
}

func (p *Platform) nextVersion(ctx context.Context, kv jetstream.KeyValue) (int, error) {
	list, err := p.deploymentsIn(ctx, kv)
	if err != nil {
		return 0, err
	}
	if len(list) == 0 {
		return 1, nil
	}
	return list[len(list)-1].Version + 1, nil
}

// Deployments lists every recorded deployment, oldest first.
func (p *Platform) Deployments(ctx context.Context) ([]Deployment, error) {
	kv, err := p.kv(ctx)
	if err != nil {
		return nil, err
	}
	return p.deploymentsIn(ctx, kv)
}

func (p *Platform) deploymentsIn(ctx context.Context, kv jetstream.KeyValue) ([]Deployment, error) {
	keys, err := kv.Keys(ctx)
	if errors.Is(err, jetstream.ErrNoKeysFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []Deployment
	for _, k := range keys {
		if k == "current" {
			continue
		}
		e, err := kv.Get(ctx, k)
		if err != nil {
			continue
		}
		var d Deployment
		if json.Unmarshal(e.Value(), &d) == nil {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out, nil
}

// Current returns the deployment running (or last run), if any.
func (p *Platform) Current(ctx context.Context) (*Deployment, error) {
	kv, err := p.kv(ctx)
	if err != nil {
		return nil, err
	}
	e, err := kv.Get(ctx, "current")
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	v, _ := strconv.Atoi(string(e.Value()))
	return p.version(ctx, kv, v)
}

func (p *Platform) version(ctx context.Context, kv jetstream.KeyValue, v int) (*Deployment, error) {
	e, err := kv.Get(ctx, versionKey(v))
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return nil, fmt.Errorf("there is no deployment %d; see 'stacklab deployments'", v)
	}
	if err != nil {
		return nil, err
	}
	var d Deployment
	return &d, json.Unmarshal(e.Value(), &d)
}

// Resume runs the current deployment again (after a restart), without
// recording a new version.
func (p *Platform) Resume(ctx context.Context) (*Deployment, diag.List, error) {
	p.deployMu.Lock()
	defer p.deployMu.Unlock()
	d, err := p.Current(ctx)
	if err != nil || d == nil {
		return d, nil, err
	}
	st, diags, err := p.load(d.Template, []byte(d.Source), d.Params)
	if err != nil {
		return d, diags, err
	}
	return d, diags, p.apply(ctx, st, d.Template, d.Version)
}

// Rollback deploys the template of an earlier version again, as a new
// version. Version 0 means the successful deployment before the current one.
func (p *Platform) Rollback(ctx context.Context, version int) (*Deployment, diag.List, error) {
	p.deployMu.Lock()
	defer p.deployMu.Unlock()
	kv, err := p.kv(ctx)
	if err != nil {
		return nil, nil, err
	}
	if version == 0 {
		cur, err := p.Current(ctx)
		if err != nil || cur == nil {
			return nil, nil, errors.New("nothing is deployed, so there is nothing to roll back to")
		}
		list, err := p.deploymentsIn(ctx, kv)
		if err != nil {
			return nil, nil, err
		}
		for i := len(list) - 1; i >= 0; i-- {
			if list[i].Version < cur.Version && list[i].Outcome == "deployed" {
				version = list[i].Version
				break
			}
		}
		if version == 0 {
			return nil, nil, fmt.Errorf("deployment %d is the first successful one; there is nothing before it", cur.Version)
		}
	}
	d, err := p.version(ctx, kv, version)
	if err != nil {
		return nil, nil, err
	}
	if d.Outcome != "deployed" {
		return nil, nil, fmt.Errorf("deployment %d failed (%s); roll back to one that was deployed", version, d.Outcome)
	}
	return p.deploySource(ctx, d.Template, []byte(d.Source), d.Params, version)
}

// Plan returns the change set a deploy of the template would make, without
// applying it.
func (p *Platform) Plan(ctx context.Context, file string, src []byte, params map[string]string) (plan.ChangeSet, diag.List, error) {
	st, diags, err := p.load(file, src, params)
	if err != nil {
		return plan.ChangeSet{}, diags, err
	}
	return plan.Diff(p.Stack(), st), diags, nil
}

// DeployRequest is the control API's deploy call.
type DeployRequest struct {
	Template string            `json:"template"` // absolute path on this machine
	Params   map[string]string `json:"params,omitempty"`
	DryRun   bool              `json:"dryRun,omitempty"`
}

// DeployResult answers it; a deploy that failed is still an answer (with
// Error set, and the failed version recorded), not a failed call.
type DeployResult struct {
	Changes     plan.ChangeSet    `json:"changes"`
	Deployment  *Deployment       `json:"deployment,omitempty"`
	Diagnostics []diag.Diagnostic `json:"diagnostics,omitempty"`
	Error       string            `json:"error,omitempty"`
}

// ControlDeploy serves the control API's deploy (server.Deployer).
func (p *Platform) ControlDeploy(ctx context.Context, body []byte) (any, int, error) {
	var req DeployRequest
	if err := json.Unmarshal(body, &req); err != nil || req.Template == "" {
		return nil, 400, fmt.Errorf("the body must be {\"template\": \"/path/template.yaml\"}")
	}
	src, err := readTemplate(req.Template)
	if err != nil {
		return nil, 400, err
	}
	res := DeployResult{}
	if req.DryRun {
		cs, diags, err := p.Plan(ctx, req.Template, src, req.Params)
		res.Changes, res.Diagnostics = cs, diags
		if err != nil {
			res.Error = err.Error()
			return res, 200, nil
		}
		return res, 200, nil
	}
	d, diags, err := p.DeploySource(ctx, req.Template, src, req.Params)
	res.Deployment, res.Diagnostics = d, diags
	if d != nil {
		res.Changes = d.Changes
	}
	if err != nil {
		res.Error = err.Error()
		return res, 200, nil
	}
	return res, 200, nil
}

// ControlDeployments serves the list of deployments (server.Deployer).
func (p *Platform) ControlDeployments(ctx context.Context) (any, error) {
	list, err := p.Deployments(ctx)
	if list == nil {
		list = []Deployment{}
	}
	return list, err
}

// ControlRollback serves a rollback (server.Deployer).
func (p *Platform) ControlRollback(ctx context.Context, version int) (any, int, error) {
	d, diags, err := p.Rollback(ctx, version)
	res := DeployResult{Deployment: d, Diagnostics: diags}
	if d != nil {
		res.Changes = d.Changes
	}
	if err != nil {
		res.Error = err.Error()
		return res, 200, nil
	}
	return res, 200, nil
}

func readTemplate(file string) ([]byte, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("reading the template on the platform's machine: %w", err)
	}
	return b, nil
}
