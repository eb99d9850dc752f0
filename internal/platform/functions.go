package platform

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/stacklab/stacklab/internal/runtime"
	"github.com/stacklab/stacklab/internal/stack"
)

// specs prepares every function of the stack (in parallel: Go builds take
// seconds) and returns the runtime specs, or every error met.
func (p *Platform) specs(ctx context.Context, st *stack.Stack, dir string) ([]*runtime.Spec, error) {
	specs := make([]*runtime.Spec, len(st.Functions))
	errs := make([]error, len(st.Functions))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	for i, f := range st.Functions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			specs[i], errs[i] = p.spec(ctx, st, f, dir)
		}()
	}
	wg.Wait()
	var msgs []string
	for _, err := range errs {
		if err != nil {
			msgs = append(msgs, err.Error())
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(msgs, "\n"))
	}
	return specs, nil
}

func (p *Platform) spec(ctx context.Context, st *stack.Stack, f *stack.Function, dir string) (*runtime.Spec, error) {
	if f.PackageType == "Image" {
		return nil, fmt.Errorf("function %s: container images (PackageType: Image) are not run by stacklab yet; use a zip runtime", f.ID)
	}
	code := f.CodeURI
	if code == "" && f.InlineCode != "" {
		return nil, fmt.Errorf("function %s: InlineCode is not run by stacklab yet; put the code in a folder and give CodeUri", f.ID)
	}
	if strings.HasPrefix(code, "s3://") {
		return nil, fmt.Errorf("function %s: CodeUri %s is in S3; give a local folder", f.ID, code)
	}
	if !filepath.IsAbs(code) {
		code = filepath.Join(dir, code)
	}
	code, err := filepath.Abs(code)
	if err != nil {
		return nil, err
	}
	t0 := time.Now()
	cmd, err := p.builder.Prepare(ctx, runtime.Source{Name: f.ID, Runtime: f.Runtime, Handler: f.Handler, CodeDir: code, BuildMethod: f.BuildMethod})
	if err != nil {
		return nil, err
	}
	p.log.Debug("prepared function", "function", f.ID, "runtime", f.Runtime, "took", time.Since(t0))
	reserved := -1
	if f.ReservedConcurrency != nil {
		reserved = *f.ReservedConcurrency
	}
	return &runtime.Spec{
		ID:       f.ID,
		Name:     f.Name,
		Runtime:  f.Runtime,
		Handler:  f.Handler,
		Command:  cmd,
		Dir:      code,
		Env:      p.environment(st, f),
		MemoryMB: f.MemorySize,
		Timeout:  time.Duration(f.Timeout) * time.Second,
		Reserved: reserved,
	}, nil
}

// environment renders a function's environment variables. References to
// other resources become the names and ARNs they have on this platform.
func (p *Platform) environment(st *stack.Stack, f *stack.Function) map[string]string {
	env := p.awsEnvironment()
	for k, v := range f.Environment {
		env[k] = p.render(st, v)
	}
	return env
}

// render turns a resolved property value into the string a function sees.
func (p *Platform) render(st *stack.Stack, v any) string {
	switch t := v.(type) {
	case nil:
		return ""
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case map[string]any:
		if id, ok := t["Ref"].(string); ok {
			return p.physicalName(st, id)
		}
		if args, ok := t["Fn::GetAtt"].([]any); ok && len(args) == 2 {
			id, _ := args[0].(string)
			attr, _ := args[1].(string)
			return p.attribute(st, id, attr)
		}
	}
	return fmt.Sprint(v)
}

// physicalName is what Ref of a resource gives on this platform: the name
// the template sets, else the logical id.
func (p *Platform) physicalName(st *stack.Stack, id string) string {
	for _, f := range st.Functions {
		if f.ID == id {
			return f.Name
		}
	}
	for _, b := range st.Buckets {
		if b.ID == id && b.Name != "" {
			return b.Name
		}
	}
	for _, q := range st.Queues {
		if q.ID == id {
			return "http://" + p.gatewayHost() + "/queues/" + firstNonEmpty(q.Name, id)
		}
	}
	for _, t := range st.Tables {
		if t.ID == id && t.Name != "" {
			return t.Name
		}
	}
	for _, t := range st.Topics {
		if t.ID == id {
			return p.arn("sns", firstNonEmpty(t.Name, id))
		}
	}
	return id
}

func (p *Platform) attribute(st *stack.Stack, id, attr string) string {
	typ := ""
	if r := st.Lookup(id); r != nil {
		typ = r.Type
	}
	name := p.physicalName(st, id)
	switch {
	case attr == "Arn" && strings.Contains(typ, "Function"):
		return p.arn("lambda", "function:"+name)
	case attr == "Arn" && typ == "AWS::S3::Bucket":
		return "arn:aws:s3:::" + name
	case attr == "Arn" && typ == "AWS::SQS::Queue", attr == "QueueName":
		return p.arn("sqs", id)
	case attr == "TopicName":
		return id
	case attr == "Arn" || attr == "StreamArn":
		return p.arn(strings.ToLower(serviceOf(typ)), id)
	}
	return name
}

func serviceOf(typ string) string {
	parts := strings.Split(typ, "::")
	if len(parts) == 3 {
		return parts[1]
	}
	return "unknown"
}

func (p *Platform) arn(service, resource string) string {
	return "arn:aws:" + service + ":" + p.opts.Region + ":" + p.opts.AccountID + ":" + resource
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
