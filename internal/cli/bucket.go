package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/server"
	"github.com/stacklab/stacklab/internal/services/bucket"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

func newBucket() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bucket",
		Short: "Put, get, list and remove the objects of the S3 buckets of the running stack",
		Long: `bucket works on the AWS::S3::Bucket resources of the running stack. BUCKET is the
bucket's logical id, its BucketName or its ARN. Putting and removing objects
sends the bucket's S3 event notifications, as S3 does.`,
		Example: `  stacklab bucket put Uploads photos/cat.jpg ./cat.jpg
  stacklab bucket get Uploads photos/cat.jpg -o cat.jpg
  stacklab bucket ls Uploads photos/
  stacklab bucket rm Uploads photos/cat.jpg`,
	}
	cmd.AddCommand(newBucketPut(), newBucketGet(), newBucketLs(), newBucketRm())
	return cmd
}

// objectPath is the control API path of an object.
func objectPath(b, key string) string {
	return "/v1/buckets/" + url.PathEscape(b) + "/objects/" + url.PathEscape(key)
}

func newBucketPut() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var contentType string
	var meta []string
	cmd := &cobra.Command{
		Use:   "put BUCKET KEY [FILE|-]",
		Short: "Store an object from a file or standard input",
		Long: `put streams FILE (or standard input, given as - or left out) into the bucket
as KEY, replacing any object with that key. The content type is --content-type,
or guessed from FILE's extension. When put returns the object is stored and the
notifications to functions are queued durably.

With tracing on, put prints on stderr the id of the trace the put starts, which
holds everything its notifications cause ('stacklab trace ID' draws it); with
--output json it is the answer's traceId.`,
		Example: `  stacklab bucket put Uploads photos/cat.jpg ./cat.jpg
  echo hello | stacklab bucket put Uploads notes/hello.txt --content-type text/plain
  stacklab bucket put Uploads data.bin big.bin --metadata owner=me --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 2 || len(args) > 3 {
				return usagef("put takes BUCKET KEY and optionally FILE or -")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			header := http.Header{}
			for _, m := range meta {
				k, v, ok := strings.Cut(m, "=")
				if !ok || k == "" {
					return usagef("--metadata %q: write NAME=VALUE", m)
				}
				header.Set("X-Amz-Meta-"+k, v)
			}
			var body io.Reader = cmd.InOrStdin()
			if len(args) == 3 && args[2] != "-" {
				f, err := os.Open(args[2])
				if err != nil {
					return err
				}
				defer f.Close()
				body = f
				if contentType == "" {
					contentType = mime.TypeByExtension(filepath.Ext(args[2]))
				}
			}
			if contentType != "" {
				header.Set("Content-Type", contentType)
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			resp, err := c.Stream(cmd.Context(), http.MethodPut, objectPath(args[0], args[1]), nil, header, body)
			if err != nil {
				printTrace(cmd, errorTrace(err))
				return err
			}
			defer resp.Body.Close()
			var res putResult
			if err := json.NewDecoder(resp.Body).Decode(&res.Object); err != nil {
				return err
			}
			res.TraceID = answerTrace(resp.Header)
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "put %s in %s (%d bytes, ETag %s)\n", res.Key, args[0], res.Size, res.ETag)
			printTrace(cmd, res.TraceID)
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	cmd.Flags().StringVar(&contentType, "content-type", "", "the object's Content-Type (default: from FILE's extension)")
	cmd.Flags().StringArrayVar(&meta, "metadata", nil, "user metadata `NAME=VALUE` (repeatable)")
	return cmd
}

// answerTrace is the trace id in an answer's traceparent (or
// X-Amzn-Trace-Id): the trace a put or a removal started; "" with tracing
// off.
func answerTrace(h http.Header) string {
	if sc, ok := tracectx.SpanContextFrom(tracectx.HTTP(h)); ok {
		return sc.TraceID().String()
	}
	return ""
}

// errorTrace is the trace a failed put or removal names in its answer: it
// may have started one (an object stored whose notifications could not be
// queued, a 503), which shows how far it went.
func errorTrace(err error) string {
	var ae *server.APIError
	if errors.As(err, &ae) {
		return answerTrace(ae.Header)
	}
	return ""
}

// printTrace names the trace id on stderr, as invoke does, when there is
// one.
func printTrace(cmd *cobra.Command, id string) {
	if id != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "trace %s (stacklab trace %s)\n", id, id)
	}
}

// putResult is what put prints: the object, and the trace the put
// started (from the answer's traceparent; empty with tracing off).
type putResult struct {
	bucket.Object
	TraceID string `json:"traceId,omitempty"`
}

func newBucketGet() *cobra.Command {
	var rf remoteFlags
	var file string
	cmd := &cobra.Command{
		Use:   "get BUCKET KEY [-o FILE]",
		Short: "Write an object to standard output or a file",
		Example: `  stacklab bucket get Uploads notes/hello.txt
  stacklab bucket get Uploads photos/cat.jpg -o cat.jpg`,
		Args: exactArgs(2, "BUCKET KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			resp, err := c.Stream(cmd.Context(), http.MethodGet, objectPath(args[0], args[1]), nil, nil, nil)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			w := cmd.OutOrStdout()
			if file != "" && file != "-" {
				f, err := os.Create(file)
				if err != nil {
					return err
				}
				if _, err := io.Copy(f, resp.Body); err != nil {
					f.Close()
					return err
				}
				return f.Close()
			}
			_, err = io.Copy(w, resp.Body)
			return err
		},
	}
	rf.add(cmd)
	cmd.Flags().StringVarP(&file, "file", "o", "", "write to `FILE` instead of standard output")
	return cmd
}

func newBucketLs() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "ls BUCKET [PREFIX]",
		Short: "List the objects of a bucket, or those whose keys start with PREFIX",
		Example: `  stacklab bucket ls Uploads
  stacklab bucket ls Uploads photos/ --output json`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) < 1 || len(args) > 2 {
				return usagef("ls takes BUCKET and optionally PREFIX")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			path := "/v1/buckets/" + url.PathEscape(args[0])
			if len(args) == 2 {
				path += "?" + url.Values{"prefix": {args[1]}}.Encode()
			}
			var list []bucket.Object
			if err := c.GetJSON(cmd.Context(), path, &list); err != nil {
				return err
			}
			if list == nil {
				list = []bucket.Object{}
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), list)
			}
			if len(list) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "no objects")
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KEY\tSIZE\tLAST MODIFIED\tETAG\tCONTENT TYPE")
			for _, o := range list {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", o.Key, o.Size, o.LastModified.Format("2006-01-02 15:04:05Z"), o.ETag, o.ContentType)
			}
			return tw.Flush()
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

// rmResult is the control API's answer to a removal, and the trace the
// removal started (from the answer's traceparent; empty with tracing off).
type rmResult struct {
	Deleted bool      `json:"deleted"`
	Key     string    `json:"key"`
	Time    time.Time `json:"time"`
	TraceID string    `json:"traceId,omitempty"`
}

func newBucketRm() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "rm BUCKET KEY",
		Short: "Remove an object",
		Long: `rm removes KEY from the bucket; a key that is not there is NoSuchKey. When rm
returns the object is gone and the bucket's ObjectRemoved notifications to
functions, queues and topics are queued durably.

With tracing on, rm prints on stderr the id of the trace the removal starts,
which holds everything its notifications cause ('stacklab trace ID' draws it);
with --output json it is the answer's traceId.`,
		Example: `  stacklab bucket rm Uploads photos/cat.jpg
  stacklab bucket rm Uploads photos/cat.jpg --output json`,
		Args: exactArgs(2, "BUCKET KEY"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			resp, err := c.Stream(cmd.Context(), http.MethodDelete, objectPath(args[0], args[1]), nil, nil, nil)
			if err != nil {
				printTrace(cmd, errorTrace(err))
				return err
			}
			defer resp.Body.Close()
			var res rmResult
			if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
				return fmt.Errorf("reading the answer: %w", err)
			}
			res.TraceID = answerTrace(resp.Header)
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), res)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed %s from %s\n", args[1], args[0])
			printTrace(cmd, res.TraceID)
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}
