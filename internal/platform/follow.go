package platform

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/stacklab/stacklab/internal/diag"
)

// FollowDeployments keeps this platform on the deployment the platforms
// sharing its NATS run: when another one deploys (or rolls back), the
// "current" key of the deployments bucket changes and this platform runs
// that deployment too, as Resume does, without recording a new version.
// Each change is told to changed (the deployment, its diagnostics, and the
// error when it could not run here; the platform then keeps its stack).
// It returns once watching; the watch ends with Close.
func (p *Platform) FollowDeployments(ctx context.Context, changed func(*Deployment, diag.List, error)) error {
	kv, err := p.kv(ctx)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithCancel(context.Background())
	w, err := kv.Watch(wctx, "current")
	if err != nil {
		cancel()
		return fmt.Errorf("watching the deployments bucket: %w", err)
	}
	p.followMu.Lock()
	if p.closed {
		p.followMu.Unlock()
		cancel()
		w.Stop()
		return errors.New("the platform is closed")
	}
	p.stopFollow = append(p.stopFollow, cancel)
	p.followWG.Add(1)
	p.followMu.Unlock()
	go func() {
		defer p.followWG.Done()
		defer w.Stop()
		for {
			select {
			case <-wctx.Done():
				return
			case e, ok := <-w.Updates():
				if !ok {
					return
				}
				if e == nil || e.Operation() != jetstream.KeyValuePut {
					continue // the end of the initial values, or a delete
				}
				v, err := strconv.Atoi(string(e.Value()))
				if err != nil || v == p.Running() {
					continue
				}
				d, diags, err := p.follow(wctx, kv, v)
				if wctx.Err() == nil && d != nil && changed != nil {
					changed(d, diags, err)
				}
			}
		}
	}()
	return nil
}

// follow runs deployment v unless this platform runs it already (it made
// it, or a later change was followed first).
func (p *Platform) follow(ctx context.Context, kv jetstream.KeyValue, v int) (*Deployment, diag.List, error) {
	p.deployMu.Lock()
	defer p.deployMu.Unlock()
	if v == p.Running() {
		return nil, nil, nil
	}
	d, err := p.version(ctx, kv, v)
	if err != nil {
		return &Deployment{Version: v}, nil, err
	}
	st, diags, err := p.load(d.Template, []byte(d.Source), d.Params)
	if err != nil {
		return d, diags, err
	}
	return d, diags, p.apply(ctx, st, d.Template, d.Version)
}

// Running is the version of the deployment this platform runs, 0 before
// the first.
func (p *Platform) Running() int {
	p.stackMu.RLock()
	defer p.stackMu.RUnlock()
	return p.running
}

// stopFollowing ends the watches of FollowDeployments and waits for them.
func (p *Platform) stopFollowing() {
	p.followMu.Lock()
	p.closed = true
	for _, stop := range p.stopFollow {
		stop()
	}
	p.followMu.Unlock()
	p.followWG.Wait()
}
