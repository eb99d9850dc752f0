package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	neturl "net/url"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// Options configure a Bus.
type Options struct {
	// Dir is where the embedded server keeps JetStream's store.
	Dir string
	// URL connects to an external NATS server instead of embedding one.
	URL string
	// Listen, when set (host:port, port -1 for a random one), makes the
	// embedded server accept network clients too (tests, other nodes).
	Listen string
	Logger *slog.Logger
}

// Bus is a connection to NATS JetStream, with the embedded server it runs.
type Bus struct {
	srv *server.Server // nil with an external server
	nc  *nats.Conn
	js  jetstream.JetStream
	log *slog.Logger
}

// Start starts the embedded server (or connects to Options.URL) and waits
// until JetStream is ready.
func Start(ctx context.Context, opts Options) (*Bus, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b := &Bus{log: opts.Logger.With("component", "bus")}
	var copts []nats.Option
	url := opts.URL
	if url == "" {
		if opts.Dir == "" {
			return nil, errors.New("bus: no store directory for the embedded server")
		}
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("creating the JetStream store %s: %w", opts.Dir, err)
		}
		so := &server.Options{
			ServerName: "stacklab",
			JetStream:  true,
			StoreDir:   opts.Dir,
			DontListen: opts.Listen == "",
			Host:       "127.0.0.1",
			Port:       -1,
			NoSigs:     true,
			NoLog:      true,
		}
		if opts.Listen != "" {
			host, port, err := splitHostPort(opts.Listen)
			if err != nil {
				return nil, err
			}
			so.Host, so.Port = host, port
		}
		srv, err := server.NewServer(so)
		if err != nil {
			return nil, fmt.Errorf("starting the embedded NATS server: %w", err)
		}
		go srv.Start()
		if !srv.ReadyForConnections(30 * time.Second) {
			srv.Shutdown()
			return nil, errors.New("the embedded NATS server did not become ready in 30 s")
		}
		b.srv = srv
		copts = append(copts, nats.InProcessServer(srv))
		url = srv.ClientURL()
	}
	copts = append(copts, nats.Name("stacklab"), nats.MaxReconnects(-1))
	nc, err := nats.Connect(url, copts...)
	if err != nil {
		b.Close()
		if b.srv == nil {
			return nil, fmt.Errorf("connecting to NATS at %s: %w; start a NATS server with JetStream there (nats-server -js) or leave out the URL to embed one", RedactURL(url), err)
		}
		return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	b.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		b.Close()
		return nil, err
	}
	b.js = js
	// Wait until JetStream answers (it may be recovering its store).
	for {
		if _, err := js.AccountInfo(ctx); err == nil {
			break
		} else if b.srv == nil && (errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount)) {
			b.Close()
			return nil, fmt.Errorf("the NATS server at %s has JetStream disabled: %w; start it with JetStream (nats-server -js)", RedactURL(url), err)
		} else if ctx.Err() != nil {
			b.Close()
			return nil, fmt.Errorf("JetStream is not available: %w", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(50 * time.Millisecond):
		}
	}
	return b, nil
}

// Conn is the NATS connection.
func (b *Bus) Conn() *nats.Conn { return b.nc }

// JetStream is the JetStream context of the connection.
func (b *Bus) JetStream() jetstream.JetStream { return b.js }

// ClientURL is where network clients reach the embedded server ("" when it
// does not listen, or with an external server).
func (b *Bus) ClientURL() string {
	if b.srv == nil || b.srv.Addr() == nil {
		return ""
	}
	return b.srv.ClientURL()
}

// Close drains the connection and stops the embedded server, flushing
// JetStream's store.
func (b *Bus) Close() {
	if b.nc != nil {
		b.nc.Drain()
		for i := 0; i < 100 && !b.nc.IsClosed(); i++ {
			time.Sleep(10 * time.Millisecond)
		}
		b.nc.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
		b.srv.WaitForShutdown()
	}
}

// RedactURL hides the passwords in a comma-separated list of NATS URLs.
func RedactURL(urls string) string {
	parts := strings.Split(urls, ",")
	for i, one := range parts {
		if u, err := neturl.Parse(strings.TrimSpace(one)); err == nil && u.User != nil {
			parts[i] = u.Redacted()
		}
	}
	return strings.Join(parts, ",")
}

func splitHostPort(s string) (string, int, error) {
	var host string
	var port int
	i := len(s) - 1
	for i >= 0 && s[i] != ':' {
		i--
	}
	if i < 0 {
		return "", 0, fmt.Errorf("bus: listen address %q is not host:port", s)
	}
	host = s[:i]
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil {
		return "", 0, fmt.Errorf("bus: listen address %q has no port number", s)
	}
	return host, port, nil
}

// Name makes a logical id safe as a JetStream stream, bucket or consumer
// name and as a subject token: letters, digits, - and _ are kept, anything
// else becomes _.
func Name(id string) string {
	var b strings.Builder
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "_"
	}
	return b.String()
}
