package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/platform"
	"github.com/stacklab/stacklab/internal/services/topic"
)

func newTopic() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topic",
		Short: "Publish to and list the SNS topics of the running stack",
		Long: `topic works on the AWS::SNS::Topic resources of the running stack. TOPIC is the
topic's logical id, its TopicName or its ARN.`,
		Example: `  stacklab topic publish Orders --message '{"order": 7}' --attribute kind=order
  stacklab topic ls`,
	}
	cmd.AddCommand(newTopicPublish(), newTopicLs())
	return cmd
}

func newTopicPublish() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var in topic.PublishInput
	var attrs []string
	var bodyFile string
	cmd := &cobra.Command{
		Use:   "publish TOPIC --message TEXT | --body-file FILE",
		Short: "Publish a message to a topic",
		Long: `publish stores the message; when it returns, the message will reach every
subscription whose filter policy matches its attributes, at least once: functions
as asynchronous invocations with an SNS event, queues as an SNS envelope (or the
message itself with RawMessageDelivery).

--attribute NAME=VALUE gives a String attribute; NAME:Number=VALUE a Number and
NAME:String.Array='["a","b"]' a String.Array (a JSON array of strings, numbers,
true, false and null). As in SNS, a NAME is 1 to 256 letters, digits, '_', '-'
and '.', not starting with AWS. or Amazon.

--body-file reads the message from a file ("-" for standard input), as it is,
for messages too large for a command line. A message is at most 256 KiB
(262144 bytes) of UTF-8 text with its attributes, as in SNS.`,
		Example: `  stacklab topic publish Orders --message 'hello'
  stacklab topic publish Orders --message '{"order": 7}' --subject 'new order' --attribute kind=order
  stacklab topic publish Orders --message x --attribute total:Number=250 --output json
  stacklab topic publish Orders --body-file order.json --subject 'new order'
  cat order.json | stacklab topic publish Orders --body-file -`,
		Args: exactArgs(1, "TOPIC"),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if in.Message, err = messageText(cmd, in.Message, "message", bodyFile, "body-file", topic.MaxMessageSize, "SNS"); err != nil {
				return err
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
					in.MessageAttributes = map[string]topic.Attribute{}
				}
				in.MessageAttributes[k] = topic.Attribute{DataType: typ, StringValue: v}
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			body, _ := json.Marshal(in)
			var res topic.PublishOutput
			if err := c.PostJSON(cmd.Context(), "/v1/topics/"+url.PathEscape(args[0])+"/publish", nil, body, &res); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "published %s to %s\n", res.MessageID, args[0])
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	fl := cmd.Flags()
	fl.StringVar(&in.Message, "message", "", "the message `TEXT`")
	fl.StringVar(&bodyFile, "body-file", "", "read the message from `FILE` (- for standard input), for large messages")
	fl.StringVar(&in.Subject, "subject", "", "the Subject of the message")
	fl.StringVar(&in.GroupID, "group", "", "MessageGroupId (FIFO topics)")
	fl.StringVar(&in.DeduplicationID, "dedup", "", "MessageDeduplicationId (FIFO topics)")
	fl.StringArrayVar(&attrs, "attribute", nil, "a message attribute `NAME[:TYPE]=VALUE` (repeatable)")
	return cmd
}

func newTopicLs() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the topics and their subscriptions",
		Long: `ls shows each topic with its subscriptions: protocol, endpoint (function name or
queue) and filter policy. Subscriptions other than lambda and sqs are not delivered.`,
		Example: `  stacklab topic ls
  stacklab topic ls --output json`,
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
			var list []platform.TopicInfo
			if err := c.GetJSON(cmd.Context(), "/v1/topics", &list); err != nil {
				return err
			}
			if out == "json" {
				if list == nil {
					list = []platform.TopicInfo{}
				}
				return writeJSON(cmd.OutOrStdout(), list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "the stack has no topics")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "TOPIC\tSUBSCRIPTION\tPROTOCOL\tENDPOINT\tFILTER")
			for _, t := range list {
				if len(t.Subscriptions) == 0 {
					fmt.Fprintf(tw, "%s\t-\t-\t-\t-\n", t.ID)
				}
				for _, s := range t.Subscriptions {
					filter := filterText(s.FilterPolicy)
					proto := s.Protocol
					if s.Raw {
						proto += " (raw)"
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, s.ID, proto, s.Endpoint, filter)
				}
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

// filterText is a subscription's filter policy on one line, as written
// (">" stays ">", not "\u003e"), or "-" without one.
func filterText(fp any) string {
	if fp == nil {
		return "-"
	}
	b, err := json.Marshal(fp)
	if err != nil {
		return "-"
	}
	return oneLine(b)
}
