package experiment

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/stacklab/stacklab/internal/stack"
	tmpl "github.com/stacklab/stacklab/internal/template"
)

// Plan is an experiment ready to run: the merged template, its stack, and
// where each variant's workload goes.
type Plan struct {
	Spec   *Spec
	Merged *Merged
	// File is where the merged template is said to be (beside the
	// experiment file); it is not written.
	File    string
	Stack   *stack.Stack
	Targets []*Target // by variant, in the spec's order
	payload *template.Template
	key     *template.Template
	header  *template.Template
	params  map[string]*template.Template
	files   [][]byte
	fileExt []string
	size    int64
}

// Target is where one variant's requests go.
type Target struct {
	Variant string
	// Kind is route, function, queue or bucket.
	Kind string
	// Method and Path (relative to the gateway) for a route; Name is the
	// function's, queue's or bucket's physical name.
	Method, Path string
	Name         string
	// Functions maps the physical names of the variant's functions to their
	// logical ids in the base template.
	Functions map[string]string
	MemoryMB  map[string]int // by base logical id
}

// Prepare reads the templates, merges the variants, builds the merged
// stack and finds every variant's target, so that every problem the spec
// can have is found before anything is deployed.
func Prepare(s *Spec, opts tmpl.Options) (*Plan, error) {
	m, err := Merge(s, opts)
	if err != nil {
		return nil, err
	}
	file := filepath.Join(filepath.Dir(s.File), "experiment-"+s.Name+".json")
	t, diags := tmpl.Load(file, m.Source, opts)
	if diags.HasErrors() {
		return nil, fmt.Errorf("the merged template of the variants does not resolve:\n%s", diagText(diags))
	}
	st, more := stack.Build(t)
	if more.HasErrors() {
		return nil, fmt.Errorf("the merged template of the variants is not a valid stack:\n%s", diagText(more))
	}
	p := &Plan{Spec: s, Merged: m, File: file, Stack: st, params: map[string]*template.Template{}}
	if err := p.templates(); err != nil {
		return nil, err
	}
	for i, v := range m.Variants {
		tg, err := p.target(v)
		if err != nil {
			return nil, &Error{Pos: s.at("workload"), Message: fmt.Sprintf("workload: variant %s: %v", v.Name, err), Fix: "name a resource of the template by its logical id"}
		}
		if err := p.checkFunctions(i, v, tg); err != nil {
			return nil, err
		}
		p.Targets = append(p.Targets, tg)
	}
	return p, nil
}

func (p *Plan) templates() error {
	w := p.Spec.Workload
	parse := func(name, text string) (*template.Template, error) {
		t, err := template.New(name).Option("missingkey=error").Parse(text)
		if err != nil {
			return nil, &Error{Pos: p.Spec.at("workload", name), Message: "workload: " + name + ": " + err.Error(), Fix: "use {{.Seq}}, {{.Round}}, {{.Variant}} and {{.ID}}"}
		}
		return t, nil
	}
	var err error
	body := w.Payload
	if w.PayloadFile != "" {
		b, rerr := os.ReadFile(p.Spec.path(w.PayloadFile))
		if rerr != nil {
			return &Error{Pos: p.Spec.at("workload", "payloadFile"), Message: "workload: " + rerr.Error(), Fix: "give a file relative to the experiment file"}
		}
		body = string(b)
	}
	if p.payload, err = parse("payload", body); err != nil {
		return err
	}
	if p.key, err = parse("key", firstNonEmpty(w.Key, "{{.ID}}")); err != nil {
		return err
	}
	for _, k := range slices.Sorted(maps.Keys(w.Params)) {
		if p.params[k], err = parse("params", w.Params[k]); err != nil {
			return err
		}
	}
	if g := w.Generate; g != nil {
		if p.header, err = parse("generate", g.Header); err != nil {
			return err
		}
		p.size, _ = ParseSize(g.Size)
	}
	if w.Files != "" {
		dir := p.Spec.path(w.Files)
		ents, rerr := os.ReadDir(dir)
		if rerr != nil {
			return &Error{Pos: p.Spec.at("workload", "files"), Message: "workload: files: " + rerr.Error(), Fix: "give a folder of files to upload"}
		}
		for _, e := range ents {
			if e.Type().IsRegular() {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err != nil {
					return err
				}
				p.files = append(p.files, b)
				p.fileExt = append(p.fileExt, filepath.Ext(e.Name()))
			}
		}
		if len(p.files) == 0 {
			return &Error{Pos: p.Spec.at("workload", "files"), Message: "workload: files: " + dir + " has no files", Fix: "put the files to upload in it"}
		}
	}
	return nil
}

func (p *Plan) target(v *Prepared) (*Target, error) {
	w := p.Spec.Workload
	tg := &Target{Variant: v.Name, Functions: map[string]string{}, MemoryMB: map[string]int{}}
	for base, mid := range v.IDs {
		for _, f := range p.Stack.Functions {
			if f.ID == mid {
				tg.Functions[f.Name] = base
				tg.MemoryMB[base] = f.MemorySize
			}
		}
	}
	names := func(kind string) []string {
		var out []string
		for base, mid := range v.IDs {
			if r := p.Stack.Lookup(mid); r != nil && strings.Contains(strings.ToLower(r.Type), kind) {
				out = append(out, base)
			}
		}
		slices.Sort(out)
		if len(out) == 0 {
			return []string{"none: the template has no " + kind}
		}
		return out
	}
	switch {
	case w.Function != "", w.Bucket != "", w.Queue != "":
		kind, base := "function", w.Function
		if w.Bucket != "" {
			kind, base = "bucket", w.Bucket
		} else if w.Queue != "" {
			kind, base = "queue", w.Queue
		}
		tg.Kind, tg.Name = kind, p.physicalName(kind, v.IDs[base])
		if tg.Name == "" {
			return nil, fmt.Errorf("no %s %s; the %ss are %s", kind, base, kind, strings.Join(names(kind), ", "))
		}
	case w.Route != "":
		tg.Kind = "route"
		method, path, _ := splitRoute(w.Route)
		var routes []string
		for _, api := range p.Stack.APIs {
			if v.IDs[strings.TrimPrefix(api.ID, v.Prefix)] != api.ID {
				continue
			}
			for _, r := range api.Routes {
				routes = append(routes, r.Method+" "+r.Path)
				if r.Path == path && (r.Method == method || r.Method == "ANY") && tg.Path == "" {
					tg.Method, tg.Path = method, "/_api/"+api.ID
					if api.Stage != "" && api.Stage != "$default" {
						tg.Path += "/" + api.Stage
					}
					tg.Path += path
				}
			}
		}
		if tg.Path == "" {
			slices.Sort(routes)
			if len(routes) == 0 {
				routes = []string{"none: the template has no API route"}
			}
			return nil, fmt.Errorf("no route %s; the routes are %s", w.Route, strings.Join(routes, ", "))
		}
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") {
				name := strings.Trim(seg, "{}+")
				if p.params[name] == nil {
					return nil, fmt.Errorf("route %s needs params: {%s: ...}", w.Route, name)
				}
			}
		}
	}
	return tg, nil
}

// physicalName is the name of the merged stack's resource of a kind with
// the logical id, or "".
func (p *Plan) physicalName(kind, id string) string {
	switch kind {
	case "function":
		for _, f := range p.Stack.Functions {
			if f.ID == id {
				return f.Name
			}
		}
	case "bucket":
		for _, b := range p.Stack.Buckets {
			if b.ID == id {
				return firstNonEmpty(b.Name, b.ID)
			}
		}
	case "queue":
		for _, q := range p.Stack.Queues {
			if q.ID == id {
				return firstNonEmpty(q.Name, q.ID)
			}
		}
	}
	return ""
}

// checkFunctions makes sure the functions the hypothesis names exist.
func (p *Plan) checkFunctions(i int, v *Prepared, tg *Target) error {
	for ci, c := range p.Spec.Hypothesis {
		if c.Function == "" {
			continue
		}
		found := false
		for _, base := range tg.Functions {
			found = found || base == c.Function
		}
		if !found {
			var fns []string
			for _, base := range tg.Functions {
				fns = append(fns, base)
			}
			slices.Sort(fns)
			return &Error{Pos: p.Spec.at("hypothesis", ci, "function"), Message: fmt.Sprintf("clause %d: variant %s has no function %s", ci+1, v.Name, c.Function), Fix: "name one of " + strings.Join(fns, ", ")}
		}
	}
	_ = i
	return nil
}

// vars are what payload, key and params templates see.
type vars struct {
	Seq     int
	Round   int
	Variant string
	ID      string
}

func exec(t *template.Template, v vars) (string, error) {
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", err
	}
	return b.String(), nil
}

// request is one HTTP request of a workload.
type request struct {
	method, path string
	header       map[string]string
	body         []byte
}

// request makes the n-th request of a block. Its content depends on the
// round and n only, so every variant gets the same requests.
func (p *Plan) request(tg *Target, v vars, gateway string) (request, error) {
	var body []byte
	switch {
	case p.Spec.Workload.Generate != nil:
		body = p.generate(v)
	case len(p.files) > 0:
		body = p.files[v.Seq%len(p.files)]
	default:
		s, err := exec(p.payload, v)
		if err != nil {
			return request{}, err
		}
		body = []byte(s)
	}
	switch tg.Kind {
	case "function":
		return request{method: "POST", path: "/2015-03-31/functions/" + tg.Name + "/invocations", body: body}, nil
	case "queue":
		msg := map[string]string{"QueueUrl": strings.TrimSuffix(gateway, "/") + "/queues/" + tg.Name, "MessageBody": string(body)}
		b, err := jsonMarshal(msg)
		if err != nil {
			return request{}, err
		}
		return request{method: "POST", path: "/", body: b, header: map[string]string{"X-Amz-Target": "AmazonSQS.SendMessage", "Content-Type": "application/x-amz-json-1.0"}}, nil
	case "bucket":
		key, err := exec(p.key, v)
		if err != nil {
			return request{}, err
		}
		if p.Spec.Workload.Key == "" && len(p.files) > 0 {
			key += p.fileExt[v.Seq%len(p.files)]
		}
		return request{method: "PUT", path: "/_s3/" + tg.Name + "/" + strings.TrimPrefix(key, "/"), body: body}, nil
	}
	path := tg.Path
	for name, t := range p.params {
		val, err := exec(t, v)
		if err != nil {
			return request{}, err
		}
		path = strings.ReplaceAll(strings.ReplaceAll(path, "{"+name+"+}", val), "{"+name+"}", val)
	}
	return request{method: tg.Method, path: path, body: body, header: map[string]string{"Content-Type": "application/json"}}, nil
}

// generate makes a generated object: the header line, then Size bytes
// drawn from the alphabet, the same for the same round and sequence.
func (p *Plan) generate(v vars) []byte {
	g := p.Spec.Workload.Generate
	var b bytes.Buffer
	if g.Header != "" {
		h, _ := exec(p.header, v)
		b.WriteString(h)
		b.WriteByte('\n')
	}
	alpha := firstNonEmpty(g.Alphabet, "ACGT")
	rng := rand.New(rand.NewPCG(uint64(v.Round)+1, uint64(v.Seq)+1))
	for i := int64(0); i < p.size; i++ {
		b.WriteByte(alpha[rng.IntN(len(alpha))])
		if g.LineWidth > 0 && (i+1)%int64(g.LineWidth) == 0 {
			b.WriteByte('\n')
		}
	}
	b.WriteByte('\n')
	return b.Bytes()
}
