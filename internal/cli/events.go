package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/services/events"
)

func newEvents() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Put events on the EventBridge buses of the running stack and list their rules",
		Long: `events works on the event buses of the running stack: the default bus, which
always exists, and its AWS::Events::EventBus resources. Rules with an EventPattern
(AWS::Events::Rule, and the EventBridgeRule and CloudWatchEvent events of functions)
send the events they match to functions, queues and topics; rules with a
ScheduleExpression send the scheduled event to them at each tick.`,
		Example: `  stacklab events put --source shop --detail-type 'Order Placed' --detail '{"amount": 250}'
  stacklab events put --entries events.json
  stacklab events ls`,
	}
	cmd.AddCommand(newEventsPut(), newEventsLs())
	return cmd
}

func newEventsPut() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var e events.Entry
	var file, when string
	cmd := &cobra.Command{
		Use:   "put (--source S --detail-type T [--detail JSON] | --entries FILE)",
		Short: "Put events on a bus, as aws events put-events",
		Long: `put stores events on a bus; when it returns, each event it printed an id for
will reach the targets of every rule whose pattern it matches, at least once.
Targets get the event as EventBridge delivers it: {"version": "0", "id",
"detail-type", "source", "account", "time", "region", "resources", "detail"}.

Give one event with the flags (--detail defaults to {}), or many with --entries:
a file ("-" for standard input) holding a JSON array of entries as for
aws events put-events, each {"Source", "DetailType", "Detail", "EventBusName",
"Resources", "Time"}; Detail is a JSON text, or a JSON object. Entries are sent
ten at a time, and at most 256 KB at a time. An entry that is refused (a Detail
that is not a JSON object, an unknown bus, a Source starting with aws., over
256 KB) is reported and the exit status is 1; the others are still put.`,
		Example: `  stacklab events put --source shop --detail-type 'Order Placed' --detail '{"amount": 250}'
  stacklab events put --source shop --detail-type Refund --detail '{"id": 7}' --bus orders --resource arn:aws:s3:::receipts
  stacklab events put --entries events.json --output json
  echo '[{"Source": "shop", "DetailType": "Ping", "Detail": "{}"}]' | stacklab events put --entries -`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("put takes flags, not arguments; give --source and --detail-type, or --entries FILE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var entries []events.Entry
			fl := cmd.Flags()
			if file != "" {
				for _, f := range []string{"source", "detail-type", "detail", "bus", "resource", "time"} {
					if fl.Changed(f) {
						return usagef("--entries and --%s do not go together; put the event in the file", f)
					}
				}
				var err error
				if entries, err = readEntries(file, cmd.InOrStdin()); err != nil {
					return err
				}
			} else {
				if e.Source == "" || e.DetailType == "" {
					return usagef("give --source and --detail-type (and --detail), or --entries FILE")
				}
				if when != "" {
					e.Time = &events.Timestamp{}
					if err := e.Time.UnmarshalJSON(quoteTime(when)); err != nil {
						return usagef("--time: %v", err)
					}
				}
				entries = []events.Entry{e}
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			all := events.PutResult{Entries: make([]events.PutResultEntry, len(entries))}
			batches, tooBig := putBatches(entries)
			for _, i := range tooBig {
				all.FailedEntryCount++
				all.Entries[i] = events.PutResultEntry{ErrorCode: events.CodeInvalidArgument,
					ErrorMessage: fmt.Sprintf("the entry is %d bytes, more than the %d bytes EventBridge takes; make its Detail smaller", entries[i].Size(), events.MaxEntrySize)}
			}
			for n, b := range batches {
				body, _ := json.Marshal(platform.PutEventsRequest{Entries: entries[b[0]:b[1]]})
				var res events.PutResult
				if err := c.PostJSON(cmd.Context(), "/v1/events", nil, body, &res); err != nil {
					if n > 0 {
						return fmt.Errorf("entries %d to %d (the ones before were put): %w", b[0]+1, b[1], err)
					}
					return err
				}
				if len(res.Entries) != b[1]-b[0] {
					return fmt.Errorf("entries %d to %d: the platform answered for %d entries", b[0]+1, b[1], len(res.Entries))
				}
				all.FailedEntryCount += res.FailedEntryCount
				copy(all.Entries[b[0]:b[1]], res.Entries)
			}
			if out == "json" {
				if err := writeJSON(cmd.OutOrStdout(), all); err != nil {
					return err
				}
			} else {
				for i, r := range all.Entries {
					bus := firstNonEmptyString(entries[i].EventBusName, events.DefaultBus)
					if r.ErrorCode != "" {
						fmt.Fprintf(cmd.ErrOrStderr(), "stacklab: entry %d (%s, %s): %s: %s\n", i+1, entries[i].Source, entries[i].DetailType, r.ErrorCode, r.ErrorMessage)
						continue
					}
					fmt.Fprintf(cmd.OutOrStdout(), "put %s on %s\n", r.EventID, bus)
				}
			}
			if all.FailedEntryCount > 0 {
				return errInvalid
			}
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&e.Source, "source", "", "the event's `SOURCE`, like my.app")
	fl.StringVar(&e.DetailType, "detail-type", "", "the event's `TYPE`, like 'Order Placed'")
	fl.StringVar(&e.Detail, "detail", "{}", "the event's detail, a `JSON` object")
	fl.StringVar(&e.EventBusName, "bus", "", "the bus `NAME` or ARN (default: the default bus)")
	fl.StringArrayVar(&e.Resources, "resource", nil, "an `ARN` the event is about (repeatable)")
	fl.StringVar(&when, "time", "", "the event's `TIME`, RFC 3339 (default: now)")
	fl.StringVar(&file, "entries", "", "a JSON `FILE` of entries as for aws events put-events; - reads standard input")
	return cmd
}

// quoteTime makes --time a JSON value for Timestamp: a number stays one.
func quoteTime(s string) []byte {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return []byte(s)
	}
	b, _ := json.Marshal(s)
	return b
}

func firstNonEmptyString(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// fileEntry is an entry of an --entries file; Detail may be a JSON text
// (as aws events put-events takes it) or an object.
type fileEntry struct {
	Source       string            `json:"Source"`
	DetailType   string            `json:"DetailType"`
	Detail       json.RawMessage   `json:"Detail"`
	EventBusName string            `json:"EventBusName"`
	Resources    []string          `json:"Resources"`
	Time         *events.Timestamp `json:"Time"`
	TraceHeader  string            `json:"TraceHeader"` // accepted, not used
}

// readEntries reads an --entries file (file:// prefix allowed, - for
// stdin).
func readEntries(file string, stdin io.Reader) ([]events.Entry, error) {
	file = strings.TrimPrefix(file, "file://")
	var data []byte
	var err error
	if file == "-" {
		data, err = io.ReadAll(stdin)
	} else {
		data, err = os.ReadFile(file)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the entries: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var list []fileEntry
	if err := dec.Decode(&list); err != nil {
		return nil, fmt.Errorf(`entries %s: %v; write a JSON array like [{"Source": "shop", "DetailType": "Order Placed", "Detail": "{\"amount\": 250}"}]`, file, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("entries %s: the list is empty; give at least one entry", file)
	}
	out := make([]events.Entry, len(list))
	for i, f := range list {
		detail := string(bytes.TrimSpace(f.Detail))
		if strings.HasPrefix(detail, `"`) {
			if err := json.Unmarshal(f.Detail, &detail); err != nil {
				return nil, fmt.Errorf("entries %s: entry %d: Detail: %v", file, i+1, err)
			}
		}
		out[i] = events.Entry{Source: f.Source, DetailType: f.DetailType, Detail: detail, EventBusName: f.EventBusName, Resources: f.Resources, Time: f.Time}
	}
	return out, nil
}

func newEventsLs() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the event buses and the rules with their patterns and targets",
		Long: `ls shows the buses (the default bus and the stack's AWS::Events::EventBus
resources), then each rule with an event pattern: its bus, whether it is enabled,
its pattern and its targets (function, queue or topic, with InputPath, Input or
InputTransformer when set). Schedules are not listed here.`,
		Example: `  stacklab events ls
  stacklab events ls --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usagef("ls takes no arguments")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			var info platform.EventsInfo
			if err := c.GetJSON(cmd.Context(), "/v1/events", &info); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), info)
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "BUS\tARN")
			for _, b := range info.Buses {
				fmt.Fprintf(tw, "%s\t%s\n", b.Name, b.ARN)
			}
			fmt.Fprintln(tw)
			if len(info.Rules) == 0 {
				fmt.Fprintln(tw, "the stack has no rules with an event pattern or a schedule")
				return tw.Flush()
			}
			fmt.Fprintln(tw, "RULE\tBUS\tSTATE\tPATTERN OR SCHEDULE\tTARGETS")
			for _, r := range info.Rules {
				state := "ENABLED"
				if !r.Enabled {
					state = "DISABLED"
				}
				var targets []string
				for _, t := range r.Targets {
					targets = append(targets, describeTarget(t))
				}
				if len(targets) == 0 {
					targets = []string{"-"}
				}
				when := oneLine(r.Pattern)
				if r.Schedule != "" {
					if p := strings.TrimSpace(string(r.Pattern)); p == "" || p == "null" {
						when = r.Schedule
					} else {
						when = r.Schedule + " " + when
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Bus, state, when, strings.Join(targets, ", "))
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

// oneLine writes JSON on one line, without escaping <, > and &.
func oneLine(raw json.RawMessage) string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		return string(raw)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
	return strings.TrimSpace(b.String())
}

// describeTarget is a target in one line: kind:name and how its input is
// made.
func describeTarget(t events.Target) string {
	s := t.Kind + ":" + t.Name
	switch {
	case t.Input != "":
		s += " (Input " + t.Input + ")"
	case t.InputPath != "":
		s += " (InputPath " + t.InputPath + ")"
	case t.Transformer != nil:
		s += " (InputTransformer)"
	}
	if t.DeadLetter != "" {
		s += " dead-letter:" + t.DeadLetter
	}
	return s
}

// putBatches splits entries into the requests PutEvents takes: runs of
// consecutive entries, [start, end), of at most events.MaxEntries entries
// and events.MaxEntrySize bytes in all. An entry larger than that alone is
// in no batch but in tooBig: it is refused without being sent, and the
// others are still put.
func putBatches(entries []events.Entry) (batches [][2]int, tooBig []int) {
	start, size := 0, 0
	flush := func(end int) {
		if end > start {
			batches = append(batches, [2]int{start, end})
		}
	}
	for i, e := range entries {
		n := e.Size()
		if n > events.MaxEntrySize {
			flush(i)
			tooBig = append(tooBig, i)
			start, size = i+1, 0
			continue
		}
		if i-start == events.MaxEntries || size+n > events.MaxEntrySize {
			flush(i)
			start, size = i, 0
		}
		size += n
	}
	flush(len(entries))
	return batches, tooBig
}
