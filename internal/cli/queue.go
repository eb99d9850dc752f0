package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/services/queue"
)

func newQueue() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "queue",
		Short: "Send, receive, purge and inspect the SQS queues of the running stack",
		Long: `queue works on the AWS::SQS::Queue resources of the running stack. QUEUE is the
queue's logical id, its QueueName or its ARN.`,
		Example: `  stacklab queue send Jobs --body '{"job": 1}'
  stacklab queue receive Jobs --max 10 --delete
  stacklab queue stats`,
	}
	cmd.AddCommand(newQueueSend(), newQueueReceive(), newQueuePurge(), newQueueStats())
	return cmd
}

func newQueueSend() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var in queue.SendInput
	var delay int
	var attrs []string
	var bodyFile string
	cmd := &cobra.Command{
		Use:   "send QUEUE --body TEXT | --body-file FILE",
		Short: "Send a message to a queue",
		Long: `send stores a message in the queue; when it returns the message is durable.
FIFO queues need --group, and --dedup unless they have ContentBasedDeduplication.

--attribute NAME=VALUE gives a String message attribute, NAME:Number=VALUE a
Number (NAME:TYPE=VALUE any String or Number type, with a custom label as in
Number.int). As in SQS, a message has at most 10 attributes, and a NAME is 1 to
256 letters, digits, '_', '-' and '.', not starting with AWS. or Amazon.

--body-file reads the body from a file ("-" for standard input), as it is, for
bodies too large for a command line. A message is at most 256 KiB (262144
bytes) of UTF-8 text with its attributes (names, types and values), as in SQS.`,
		Example: `  stacklab queue send Jobs --body 'hello'
  stacklab queue send Orders.fifo --body '{"order": 7}' --group customer-42
  stacklab queue send Jobs --body later --delay 30 --output json
  stacklab queue send Jobs --body x --attribute source=cli --attribute retries:Number=3
  stacklab queue send Jobs --body-file order.json
  gzip -c report.csv | base64 | stacklab queue send Jobs --body-file -`,
		Args: exactArgs(1, "QUEUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Body, err = messageText(cmd, in.Body, "body", bodyFile, "body-file", queue.MaxMessageSize, "SQS"); err != nil {
				return err
			}
			if cmd.Flags().Changed("delay") {
				in.DelaySeconds = &delay
			}
			for _, a := range attrs {
				k, v, ok := strings.Cut(a, "=")
				if !ok || k == "" {
					return usagef("--attribute %q: write NAME=VALUE or NAME:TYPE=VALUE", a)
				}
				typ := "String"
				if name, t, ok := strings.Cut(k, ":"); ok {
					k, typ = name, t
				}
				if in.MessageAttributes == nil {
					in.MessageAttributes = map[string]queue.Attribute{}
				}
				in.MessageAttributes[k] = queue.Attribute{DataType: typ, StringValue: v}
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			body, _ := json.Marshal(in)
			var res queue.SendOutput
			if err := c.PostJSON(cmd.Context(), "/v1/queues/"+url.PathEscape(args[0])+"/messages", nil, body, &res); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			dup := ""
			if res.Duplicate {
				dup = " (a duplicate: already sent within 5 minutes)"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "sent %s to %s%s\n", res.MessageID, args[0], dup)
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&in.Body, "body", "", "the message `TEXT`")
	fl.StringVar(&bodyFile, "body-file", "", "read the message from `FILE` (- for standard input), for large bodies")
	fl.StringVar(&in.GroupID, "group", "", "MessageGroupId (FIFO queues)")
	fl.StringVar(&in.DeduplicationID, "dedup", "", "MessageDeduplicationId (FIFO queues)")
	fl.IntVar(&delay, "delay", 0, "DelaySeconds of this message, 0 to 900 (standard queues)")
	fl.StringArrayVar(&attrs, "attribute", nil, "a message attribute `NAME[:TYPE]=VALUE` (repeatable)")
	return cmd
}

func newQueueReceive() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var maxN int
	var wait time.Duration
	var del bool
	cmd := &cobra.Command{
		Use:   "receive QUEUE",
		Short: "Receive messages from a queue",
		Long: `receive takes up to --max visible messages. Without --delete they become visible
again after the queue's visibility timeout, as with SQS ReceiveMessage.`,
		Example: `  stacklab queue receive Jobs
  stacklab queue receive JobsDLQ --max 10 --delete
  stacklab queue receive Jobs --wait 5s --output json`,
		Args: exactArgs(1, "QUEUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if maxN < 1 || maxN > 10 {
				return usagef("--max must be 1 to 10, not %d", maxN)
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			q := url.Values{"max": {strconv.Itoa(maxN)}, "wait": {wait.String()}}
			if del {
				q.Set("delete", "1")
			}
			var msgs []queue.Message
			if err := c.PostJSON(cmd.Context(), "/v1/queues/"+url.PathEscape(args[0])+"/receive", q, nil, &msgs); err != nil {
				return err
			}
			if out == "json" {
				if msgs == nil {
					msgs = []queue.Message{}
				}
				return writeJSON(cmd.OutOrStdout(), msgs)
			}
			w := cmd.OutOrStdout()
			if len(msgs) == 0 {
				fmt.Fprintln(w, "no messages")
				return nil
			}
			for _, m := range msgs {
				times := "times"
				if n := m.Attributes["ApproximateReceiveCount"]; n == "1" {
					times = "time"
				}
				fmt.Fprintf(w, "%s (received %s %s)\n  %s\n", m.MessageID, m.Attributes["ApproximateReceiveCount"], times, m.Body)
			}
			if !del {
				fmt.Fprintln(w, "(not deleted: they are visible again after the visibility timeout)")
			}
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.IntVar(&maxN, "max", 1, "most messages to receive, 1 to 10")
	fl.DurationVar(&wait, "wait", 0, "wait up to this long for a message (long polling, up to 20s)")
	fl.BoolVar(&del, "delete", false, "delete the messages received")
	return cmd
}

func newQueuePurge() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "purge QUEUE",
		Short: "Delete every message of a queue",
		Example: `  stacklab queue purge Jobs
  stacklab queue purge Jobs --output json`,
		Args: exactArgs(1, "QUEUE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			var res struct {
				Purged bool `json:"purged"`
			}
			if err := c.PostJSON(cmd.Context(), "/v1/queues/"+url.PathEscape(args[0])+"/purge", nil, nil, &res); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"queue": args[0], "purged": res.Purged})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "purged %s\n", args[0])
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

func newQueueStats() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "stats [QUEUE]",
		Short: "Show the approximate numbers of a queue's messages (or of every queue)",
		Long: `stats shows, per queue, the messages visible, in flight (received, not deleted),
delayed, and the age of the oldest one.`,
		Example: `  stacklab queue stats
  stacklab queue stats JobsDLQ --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return usagef("stats takes at most one QUEUE")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			var list []queue.Stats
			if len(args) == 1 {
				var st queue.Stats
				if err := c.GetJSON(cmd.Context(), "/v1/queues/"+url.PathEscape(args[0]), &st); err != nil {
					return err
				}
				list = []queue.Stats{st}
			} else if err := c.GetJSON(cmd.Context(), "/v1/queues", &list); err != nil {
				return err
			}
			if out == "json" {
				if len(args) == 1 {
					return writeJSON(cmd.OutOrStdout(), list[0])
				}
				if list == nil {
					list = []queue.Stats{}
				}
				return writeJSON(cmd.OutOrStdout(), list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "the stack has no queues")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "QUEUE\tNAME\tVISIBLE\tIN FLIGHT\tDELAYED\tOLDEST\tDLQ")
			for _, s := range list {
				dlq := s.DeadLetter
				if dlq == "" {
					dlq = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%s\t%s\n", s.ID, s.Name, s.Visible, s.InFlight, s.Delayed, time.Duration(s.OldestAgeSeconds)*time.Second, dlq)
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}
