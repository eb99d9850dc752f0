package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/bus"
	"github.com/stacklab/stacklab/internal/dashboard"
	"github.com/stacklab/stacklab/internal/diag"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/telemetry/metrics"
)

// defaultTemplate is what `stacklab up` runs without an argument.
const defaultTemplate = "examples/hello/template.yaml"

func newUp() *cobra.Command {
	var tf templateFlags
	var state, listen, control, logLevel, natsURL string
	var idle, queueWait time.Duration
	var concurrency int
	var noSandbox bool
	maxObject := sizeFlag(bucket.DefaultMaxObjectSize)
	var trf tracingFlags
	cmd := &cobra.Command{
		Use:   "up [TEMPLATE]",
		Short: "Run a stack on this machine: functions, HTTP gateway, Invoke API, control API",
		Long: `up builds the stack's functions, starts the HTTP gateway (the template's APIs and
the AWS Lambda Invoke API) and the control API, deploys the stack, prints the
endpoints, and runs until Ctrl-C, then stops every instance.

Without TEMPLATE it runs ` + defaultTemplate + `. State (build cache, logs,
the control token) lives in --state. Other terminals use 'stacklab invoke',
'stacklab logs' and 'stacklab ls' against it.

NATS JetStream keeps everything durable (deployments, queues, async events,
buckets, tables, schedule claims). By default up embeds a NATS server with its
store under --state. With --nats it connects to an external NATS server (or
cluster) with JetStream enabled instead, so that several up processes, on one
machine or many, run one stack together: they share the deployments, queues,
async events, buckets and tables, and each schedule tick fires once. Each
process keeps its own --state (build cache, logs, traces, control token) and
its own --listen and --control addresses; start the first with the TEMPLATE
and the others without it, to resume the deployment the first recorded. A
deploy or rollback made through any of them is run by all.`,
		Example: `  stacklab up
  stacklab up template.yaml --listen 127.0.0.1:8080
  stacklab up template.yaml --param Stage=dev --idle-timeout 1m --no-sandbox

  # two processes sharing one NATS server (nats-server -js):
  stacklab up template.yaml --nats nats://127.0.0.1:4222 --state .stacklab-a
  stacklab up --nats nats://127.0.0.1:4222 --state .stacklab-b --listen 127.0.0.1:3100 --control 127.0.0.1:3101`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("up takes at most one TEMPLATE, got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			file := "" // resume the current deployment, else the default
			if len(args) == 1 {
				file = args[0]
				if _, err := os.Stat(file); err != nil {
					return usagef("cannot read template %s: %v", file, err)
				}
			}
			opts, err := tf.options()
			if err != nil {
				return err
			}
			if err := checkNATSURL(natsURL); err != nil {
				return err
			}
			tracing, err := trf.options(cmd.Flags())
			if err != nil {
				return err
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return usagef("--log-level: %v", err)
			}
			logger := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runUp(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), upConfig{
				file: file, state: state, listen: listen, control: control, logger: logger,
				platform: platform.Options{StateDir: state, Template: opts, IdleTimeout: idle, NodeConcurrency: concurrency, QueueWait: queueWait, Sandbox: !noSandbox, Logger: logger,
					BusURL: natsURL, MaxObjectSize: int64(maxObject), Tracing: tracing},
			})
		},
	}
	tf.add(cmd)
	fl := cmd.Flags()
	fl.StringVar(&state, "state", ".stacklab", "state `DIR`: build cache, logs, control token")
	fl.StringVar(&listen, "listen", "127.0.0.1:3000", "`ADDR` of the HTTP gateway and the Invoke API")
	fl.StringVar(&control, "control", "127.0.0.1:3001", "`ADDR` of the control API")
	fl.DurationVar(&idle, "idle-timeout", 5*time.Minute, "stop an instance idle this long (scale to zero)")
	fl.DurationVar(&queueWait, "queue-wait", 2*time.Second, "how long an invocation waits for a free instance before 429")
	fl.IntVar(&concurrency, "concurrency", 64, "most invocations running at once on this node")
	fl.BoolVar(&noSandbox, "no-sandbox", false, "run functions without bubblewrap")
	fl.Var(&maxObject, "max-object-size", "largest object a bucket stores, as 5GiB (S3's limit for one PUT) or 100MB")
	fl.StringVar(&logLevel, "log-level", "warn", "platform log level: debug, info, warn, error")
	fl.StringVar(&natsURL, "nats", "", "`URL` of an external NATS server with JetStream (nats://host:4222, or several, comma-separated, for a cluster) instead of the embedded one")
	trf.add(fl)
	return cmd
}

type upConfig struct {
	file, state, listen, control string
	logger                       *slog.Logger
	platform                     platform.Options
	ready                        chan<- server.Endpoints // tests: told when up is serving
}

// runUp runs the platform until ctx ends.
func runUp(ctx context.Context, stdout, stderr io.Writer, c upConfig) error {
	st := server.State{Dir: c.state}
	if ep, err := st.ReadEndpoints(); err == nil && processAlive(ep.PID) {
		return fmt.Errorf("stacklab is already running with state %s (pid %d, gateway %s); stop it first or give another --state", c.state, ep.PID, ep.Gateway)
	}
	token, err := st.Token()
	if err != nil {
		return err
	}
	gwLn, err := net.Listen("tcp", c.listen)
	if err != nil {
		return usagef("--listen %s: %v (another process may listen there: give another --listen, as 127.0.0.1:0 for any free port)", c.listen, err)
	}
	defer gwLn.Close()
	ctlLn, err := net.Listen("tcp", c.control)
	if err != nil {
		return usagef("--control %s: %v (another process may listen there: give another --control, as 127.0.0.1:0 for any free port)", c.control, err)
	}
	defer ctlLn.Close()

	p, err := platform.New(c.platform)
	if err != nil {
		return err
	}
	defer p.Close()
	p.SetGateway(gwLn.Addr().String())
	met := metrics.New()
	p.Instrument(met)
	// The gateway's routes follow every deploy.
	live := newLiveGateway(p, c.logger, c.platform)
	t0 := time.Now()
	var diags diag.List
	if c.file == "" {
		cur, cerr := p.Current(ctx)
		if cerr != nil {
			return cerr
		}
		if cur != nil {
			fmt.Fprintf(stderr, "resuming deployment %d (%s) ...\n", cur.Version, cur.Template)
			_, diags, err = p.Resume(ctx)
			c.file = cur.Template
		} else {
			c.file = defaultTemplate
		}
	}
	if p.Stack() == nil {
		if _, err := os.Stat(c.file); err != nil {
			return usagef("cannot read template %s: %v (give a TEMPLATE)", c.file, err)
		}
		fmt.Fprintf(stderr, "deploying %s ...\n", c.file)
		abs, _ := filepath.Abs(c.file)
		diags, err = p.Deploy(ctx, abs)
	}
	for _, d := range diags {
		if d.Severity != "error" {
			fmt.Fprintln(stderr, d.String())
		}
	}
	if err != nil {
		var inv *platform.InvalidTemplateError
		if errors.As(err, &inv) {
			fmt.Fprintln(stderr, err)
			return errInvalid
		}
		return err
	}
	if err := live.Err(); err != nil {
		return err
	}
	if c.platform.BusURL != "" {
		// Deploys and rollbacks made through the other platforms on this
		// NATS are run here too.
		if err := p.FollowDeployments(ctx, func(d *platform.Deployment, _ diag.List, err error) {
			if err != nil {
				fmt.Fprintf(stderr, "deployment %d, made by another platform on this NATS, cannot run here; still running deployment %d: %v\n", d.Version, p.Running(), err)
				return
			}
			fmt.Fprintf(stderr, "running deployment %d (%s), made by another platform on this NATS\n", d.Version, d.Template)
		}); err != nil {
			return err
		}
	}
	gwSrv := &http.Server{Handler: live.handler(met), ReadHeaderTimeout: 10 * time.Second}
	// Shutdown ends the streams of 'stacklab logs -f' rather than waiting
	// for them.
	streams, endStreams := context.WithCancel(context.Background())
	defer endStreams()
	// /metrics needs no token: Prometheus scrapes it (it holds counts only);
	// nor does the dashboard's page (its data comes from /v1/ with the token).
	ctl := &server.Control{Token: token, Platform: p, UI: dashboard.Handler()}
	ctlSrv := &http.Server{Handler: met.WithEndpoint(ctl), ReadHeaderTimeout: 10 * time.Second,
		BaseContext: func(net.Listener) context.Context { return streams }}
	ctlSrv.RegisterOnShutdown(endStreams)
	errc := make(chan error, 2)
	go func() { errc <- gwSrv.Serve(gwLn) }()
	go func() { errc <- ctlSrv.Serve(ctlLn) }()

	ep := server.Endpoints{Gateway: "http://" + gwLn.Addr().String(), Control: "http://" + ctlLn.Addr().String(), PID: os.Getpid()}
	if err := st.WriteEndpoints(ep); err != nil {
		return err
	}
	defer st.RemoveEndpoints()
	printEndpoints(stdout, c.file, p, ep, c.platform.BusURL, time.Since(t0))
	printTracing(stdout, p, c.platform.Tracing)
	fmt.Fprintln(stdout, "Try: stacklab ls, stacklab invoke NAME --payload '{}', stacklab logs NAME -f, stacklab traces. Ctrl-C stops.")
	if c.ready != nil {
		c.ready <- ep
	}

	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return err
		}
	}
	fmt.Fprintln(stderr, "stopping ...")
	shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if gwSrv.Shutdown(shut) != nil {
		gwSrv.Close()
	}
	if ctlSrv.Shutdown(shut) != nil {
		ctlSrv.Close()
	}
	p.Close()
	fmt.Fprintln(stderr, "stopped: every instance is stopped")
	return nil
}

func printEndpoints(w io.Writer, file string, p *platform.Platform, ep server.Endpoints, natsURL string, took time.Duration) {
	fns := p.Functions()
	fmt.Fprintf(w, "stacklab is up: %s, %d functions, deployed in %s\n", file, len(fns), took.Round(time.Millisecond))
	fmt.Fprintf(w, "  gateway      %s\n", ep.Gateway)
	for _, r := range p.Routes() {
		fmt.Fprintf(w, "    %-7s %s  -> %s\n", r.Method, r.URL, r.Function)
	}
	fmt.Fprintf(w, "  invoke API   %s/2015-03-31/functions/{name}/invocations\n", ep.Gateway)
	for _, f := range fns {
		fmt.Fprintf(w, "    %-24s %s, %d MB, %ds\n", f.Name, f.Runtime, f.MemoryMB, f.TimeoutS)
	}
	fmt.Fprintf(w, "  control API  %s (token in %s)\n", ep.Control, filepath.Join(p.StateDir(), "token"))
	built := ""
	if !dashboard.Built() {
		built = " (not built into this binary: make ui)"
	}
	fmt.Fprintf(w, "  dashboard    %s/%s\n", ep.Control, built)
	fmt.Fprintf(w, "  metrics      %s%s (Prometheus, no token)\n", ep.Control, metrics.Path)
	if natsURL != "" {
		fmt.Fprintf(w, "  state        %s (async events in NATS JetStream at %s, shared)\n", p.StateDir(), bus.RedactURL(natsURL))
	} else {
		fmt.Fprintf(w, "  state        %s (async events in NATS JetStream under %s)\n", p.StateDir(), filepath.Join(p.StateDir(), "nats"))
	}
	sandbox := "off"
	if p.Sandboxed() {
		sandbox = "bubblewrap"
	}
	fmt.Fprintf(w, "  sandbox      %s\n", sandbox)
	printServices(w, p, ep)
}

// orID is a service's name, or its logical id when it has none.
func orID(name, id string) string {
	if name != "" {
		return name
	}
	return id
}

// printServices names the stack's buckets, queues, topics and tables, and
// how to reach them.
func printServices(w io.Writer, p *platform.Platform, ep server.Endpoints) {
	var buckets, queues, topics, tables []string
	for _, b := range p.Buckets().Buckets() {
		buckets = append(buckets, b.Name)
	}
	for _, q := range p.Queues().Queues() {
		queues = append(queues, orID(q.Name, q.ID))
	}
	for _, t := range p.Topics().Topics() {
		topics = append(topics, orID(t.Name, t.ID))
	}
	for _, t := range p.Tables().Tables() {
		tables = append(tables, orID(t.Name, t.ID))
	}
	if len(buckets) > 0 {
		fmt.Fprintf(w, "  buckets      %s (S3 objects at %s/_s3/BUCKET/KEY; stacklab bucket)\n", strings.Join(buckets, ", "), ep.Gateway)
	}
	if len(queues) > 0 {
		fmt.Fprintf(w, "  queues       %s (stacklab queue; SQS for AWS SDKs at %s)\n", strings.Join(queues, ", "), ep.Gateway)
	}
	if len(topics) > 0 {
		fmt.Fprintf(w, "  topics       %s (stacklab topic)\n", strings.Join(topics, ", "))
	}
	if len(tables) > 0 {
		fmt.Fprintf(w, "  tables       %s (stacklab table; DynamoDB for AWS SDKs at %s)\n", strings.Join(tables, ", "), ep.Gateway)
	}
}

// checkNATSURL accepts what --nats may hold: one or more comma-separated
// nats://, tls://, ws:// or wss:// URLs, or host:port.
func checkNATSURL(s string) error {
	if s == "" {
		return nil
	}
	for _, one := range strings.Split(s, ",") {
		one = strings.TrimSpace(one)
		if one == "" {
			return usagef("--nats %q: an empty URL in the list; write nats://host:4222[,nats://host2:4222]", s)
		}
		if !strings.Contains(one, "://") {
			one = "nats://" + one
		}
		u, err := url.Parse(one)
		if err != nil {
			return usagef("--nats %q: %v; write nats://host:4222", s, err)
		}
		switch u.Scheme {
		case "nats", "tls", "ws", "wss":
		default:
			return usagef("--nats %q: the scheme %q is not NATS's; write nats://host:4222 (or tls://, ws://, wss://)", s, u.Scheme)
		}
		if u.Hostname() == "" {
			return usagef("--nats %q: no host; write nats://host:4222", s)
		}
	}
	return nil
}

func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	return syscall.Kill(pid, 0) == nil
}
