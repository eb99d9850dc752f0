package events

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/stacklab/stacklab/internal/ids"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Limits of PutEvents.
const (
	// MaxEntries is the most entries one Put takes.
	MaxEntries = 10
	// MaxEntrySize is the largest entry, and the largest request: Source,
	// DetailType, Detail and Resources, plus 14 bytes for a Time.
	MaxEntrySize = 256 * 1024
)

// Error codes of PutResultEntry, as PutEvents answers them.
const (
	CodeInvalidArgument = "InvalidArgument"
	CodeMalformedDetail = "MalformedDetail"
	CodeNoBus           = "ResourceNotFoundException"
	CodeAWSSource       = "NotAuthorizedForSourceException"
	CodeInternal        = "InternalFailure"
)

// Entry is one event to put on a bus, as PutEvents (and the --entries
// file of aws events put-events) spells it.
type Entry struct {
	Source       string     `json:"Source"`
	DetailType   string     `json:"DetailType"`
	Detail       string     `json:"Detail"` // a JSON object, as text
	EventBusName string     `json:"EventBusName,omitempty"`
	Resources    []string   `json:"Resources,omitempty"`
	Time         *Timestamp `json:"Time,omitempty"` // default: when it is put
}

// Timestamp is an entry's Time: RFC 3339 text or seconds since the epoch.
type Timestamp struct{ time.Time }

// UnmarshalJSON reads "2026-01-02T15:04:05Z" or 1767366245.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	if n, err := strconv.ParseFloat(string(b), 64); err == nil {
		if math.IsNaN(n) || math.IsInf(n, 0) || n < 0 || n > 1e11 {
			return fmt.Errorf("Time %s is not seconds since 1970", b)
		}
		sec, frac := math.Modf(n)
		t.Time = time.Unix(int64(sec), int64(frac*1e9)).UTC()
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("Time must be RFC 3339 text or seconds since 1970, not %s", b)
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("Time %q is not RFC 3339, like 2026-01-02T15:04:05Z", s)
	}
	t.Time = v.UTC()
	return nil
}

// MarshalJSON writes RFC 3339 text.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(time.RFC3339Nano))
}

// PutResult is what Put answers: one result per entry, in order.
type PutResult struct {
	FailedEntryCount int              `json:"FailedEntryCount"`
	Entries          []PutResultEntry `json:"Entries"`
}

// PutResultEntry is an entry's EventId, or why it was refused.
type PutResultEntry struct {
	EventID      string `json:"EventId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

// Event is the envelope EventBridge delivers to targets.
type Event struct {
	Version    string          `json:"version"`
	ID         string          `json:"id"`
	DetailType string          `json:"detail-type"`
	Source     string          `json:"source"`
	Account    string          `json:"account"`
	Time       string          `json:"time"`
	Region     string          `json:"region"`
	Resources  []string        `json:"resources"`
	Detail     json.RawMessage `json:"detail"`
}

// stored is an event as kept in the stream.
type stored struct {
	Bus      string          `json:"bus"` // name
	ID       string          `json:"id"`
	Ingested string          `json:"ingested"` // RFC 3339
	Event    json.RawMessage `json:"event"`
	// Rule is the scheduled rule a scheduled event is for; it matches no
	// other rule. "" for the events put on a bus.
	Rule string `json:"rule,omitempty"`
}

// Size is an entry's size as EventBridge counts it: Source, DetailType,
// Detail and Resources, plus 14 bytes for a Time.
func (e Entry) Size() int {
	n := len(e.Source) + len(e.DetailType) + len(e.Detail)
	if e.Time != nil {
		n += 14
	}
	for _, r := range e.Resources {
		n += len(r)
	}
	return n
}

// Put stores events on their buses, like PutEvents. Each entry is checked
// on its own: a refused entry gets an ErrorCode and the others are still
// stored. When Put returns, every entry with an EventId is in JetStream
// and will reach the targets of the rules it matches, at least once. An
// error means nothing was stored: a request that is empty, has more than
// MaxEntries entries or is larger than MaxEntrySize in all.
func (s *Service) Put(ctx context.Context, entries []Entry) (PutResult, error) {
	if len(entries) == 0 {
		return PutResult{}, fmt.Errorf("%w: give at least one entry", ErrInvalid)
	}
	if len(entries) > MaxEntries {
		return PutResult{}, fmt.Errorf("%w: %d entries, more than the %d PutEvents takes at once; send them in batches", ErrInvalid, len(entries), MaxEntries)
	}
	total := 0
	for _, e := range entries {
		total += e.Size()
	}
	if total > MaxEntrySize && len(entries) == 1 {
		return PutResult{}, fmt.Errorf("%w: the entry is %d bytes, more than the %d bytes PutEvents takes; make its Detail smaller", ErrInvalid, total, MaxEntrySize)
	}
	if total > MaxEntrySize {
		return PutResult{}, fmt.Errorf("%w: the entries are %d bytes in all, more than the %d bytes PutEvents takes at once; send fewer at a time", ErrInvalid, total, MaxEntrySize)
	}
	s.mu.RLock()
	closed, buses := s.closed, s.buses
	s.mu.RUnlock()
	if closed {
		return PutResult{}, ErrClosed
	}
	res := PutResult{Entries: make([]PutResultEntry, len(entries))}
	now := time.Now().UTC()
	for i, e := range entries {
		rec, code, msg := s.prepare(e, buses, now)
		if code == "" {
			code, msg = s.store(ctx, buses[rec.Bus], rec)
		}
		if code != "" {
			res.FailedEntryCount++
			res.Entries[i] = PutResultEntry{ErrorCode: code, ErrorMessage: msg}
			continue
		}
		res.Entries[i] = PutResultEntry{EventID: rec.ID}
	}
	return res, nil
}

// store publishes a prepared event on bus b, under a put span whose
// context goes with it; it returns an error code and message when the event
// is not stored.
func (s *Service) store(ctx context.Context, b Bus, rec stored) (code, msg string) {
	ctx, span := s.putSpan(ctx, b)
	defer span.End()
	if err := s.publish(ctx, rec); err != nil {
		span.RecordError(err)
		return CodeInternal, fmt.Sprintf("storing the event on bus %s: %v", rec.Bus, err)
	}
	if s.tel != nil {
		span.SetAttributes(telemetry.MessagingMessageID(rec.ID))
	}
	return "", ""
}

// publish stores an event in the stream, with ctx's span in its headers
// for the delivery to continue.
func (s *Service) publish(ctx context.Context, rec stored) error {
	data, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	m := nats.NewMsg(subject(rec.Bus))
	m.Data = data
	tracectx.Inject(ctx, tracectx.NATS(m.Header))
	_, err = s.js.PublishMsg(ctx, m, jetstream.WithMsgID(rec.ID))
	return err
}

// prepare checks an entry and makes its envelope, or says why not.
func (s *Service) prepare(e Entry, buses map[string]Bus, now time.Time) (stored, string, string) {
	switch {
	case e.Source == "":
		return stored{}, CodeInvalidArgument, "Source is required, like --source my.app"
	case e.DetailType == "":
		return stored{}, CodeInvalidArgument, "DetailType is required, like --detail-type \"Order Placed\""
	case e.Detail == "":
		return stored{}, CodeInvalidArgument, `Detail is required: a JSON object, like {"id": 7}`
	case strings.HasPrefix(e.Source, "aws."):
		return stored{}, CodeAWSSource, fmt.Sprintf("Source %q starts with aws., which only AWS services may send; name your own, like my.app", e.Source)
	case e.Size() > MaxEntrySize:
		return stored{}, CodeInvalidArgument, fmt.Sprintf("the entry is %d bytes, more than the %d bytes EventBridge takes", e.Size(), MaxEntrySize)
	}
	for _, r := range e.Resources {
		if r == "" {
			return stored{}, CodeInvalidArgument, "Resources has an empty entry; give ARNs"
		}
	}
	v, err := decodeJSON([]byte(e.Detail))
	if _, ok := v.(map[string]any); err != nil || !ok {
		return stored{}, CodeMalformedDetail, fmt.Sprintf(`Detail is not a JSON object (%s); write it like {"id": 7}`, detailProblem(v, err))
	}
	b, err := findBus(buses, e.EventBusName)
	if err != nil {
		return stored{}, CodeNoBus, err.Error()
	}
	t := now
	if e.Time != nil {
		t = e.Time.Time
	}
	resources := e.Resources
	if resources == nil {
		resources = []string{}
	}
	var detail bytes.Buffer
	if err := json.Compact(&detail, []byte(e.Detail)); err != nil {
		return stored{}, CodeMalformedDetail, err.Error()
	}
	id := ids.V4()
	ev := Event{Version: "0", ID: id, DetailType: e.DetailType, Source: e.Source, Account: s.opts.AccountID,
		Time: t.UTC().Format("2006-01-02T15:04:05Z"), Region: s.opts.Region, Resources: resources, Detail: detail.Bytes()}
	raw, err := json.Marshal(ev)
	if err != nil {
		return stored{}, CodeMalformedDetail, err.Error()
	}
	return stored{Bus: b.Name, ID: id, Ingested: now.Format(time.RFC3339Nano), Event: raw}, "", ""
}

func detailProblem(v any, err error) string {
	if err != nil {
		return err.Error()
	}
	return "it is " + describe(v)
}
