package cli

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/stacklab/stacklab/internal/services/table"
)

func newTable() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "table",
		Short: "Put, get and scan the items of the DynamoDB tables of the running stack",
		Long: `table works on the AWS::DynamoDB::Table and AWS::Serverless::SimpleTable resources
of the running stack. TABLE is the table's logical id or its TableName. Items and
keys are DynamoDB JSON: {"id": {"S": "a"}, "n": {"N": "1"}}.`,
		Example: `  stacklab table put Users '{"id": {"S": "u1"}, "name": {"S": "Ann"}}'
  stacklab table get Users '{"id": {"S": "u1"}}'
  stacklab table scan Users --output json`,
	}
	cmd.AddCommand(newTablePut(), newTableGet(), newTableScan())
	return cmd
}

// dynamoJSON checks that an argument is a DynamoDB JSON attribute map.
func dynamoJSON(what, s string) ([]byte, error) {
	var it table.Item
	if err := json.Unmarshal([]byte(s), &it); err != nil {
		return nil, usagef("%s must be DynamoDB JSON like '{\"id\": {\"S\": \"a\"}}': %v", what, err)
	}
	return []byte(s), nil
}

func newTablePut() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "put TABLE ITEM_JSON",
		Short: "Write an item, replacing the one with the same key",
		Long: `put writes an item. It must have the table's key attributes with their types.
When the table has a stream, the write appends an INSERT or MODIFY record that
reaches the functions reading the stream.`,
		Example: `  stacklab table put Users '{"id": {"S": "u1"}, "age": {"N": "42"}}'
  stacklab table put Users '{"id": {"S": "u2"}}' --output json`,
		Args: exactArgs(2, "TABLE ITEM_JSON"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := dynamoJSON("ITEM_JSON", args[1])
			if err != nil {
				return err
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			var res struct {
				Put bool `json:"put"`
			}
			if err := c.PostJSON(cmd.Context(), "/v1/tables/"+url.PathEscape(args[0])+"/put", nil, body, &res); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), map[string]any{"table": args[0], "put": res.Put})
			}
			fmt.Fprintf(cmd.OutOrStdout(), "put an item in %s\n", args[0])
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

func newTableGet() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	cmd := &cobra.Command{
		Use:   "get TABLE KEY_JSON",
		Short: "Print the item with a key, as DynamoDB JSON",
		Long: `get prints the item with the key; the key has the table's key attributes only.
When no item has the key, it prints nothing on stdout, says "no item with key
... in table ..." on stderr and exits 1; an unknown table is an error naming
the stack's tables. The item is JSON in either --output format.`,
		Example: `  stacklab table get Users '{"id": {"S": "u1"}}'
  stacklab table get Users '{"id": {"S": "u1"}}' --output json | jq -r .age.N`,
		Args: exactArgs(2, "TABLE KEY_JSON"),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, err := dynamoJSON("KEY_JSON", args[1])
			if err != nil {
				return err
			}
			c, err := rf.client()
			if err != nil {
				return err
			}
			var it table.Item
			if err := c.PostJSON(cmd.Context(), "/v1/tables/"+url.PathEscape(args[0])+"/get", nil, body, &it); err != nil {
				return err
			}
			if it == nil {
				return fmt.Errorf("no item with key %s in table %s", args[1], args[0])
			}
			return writeJSON(cmd.OutOrStdout(), it)
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	return cmd
}

func newTableScan() *cobra.Command {
	var rf remoteFlags
	var out outputFlag
	var limit int
	cmd := &cobra.Command{
		Use:   "scan TABLE",
		Short: "Print every item of a table",
		Long: `scan prints the items of a table in key order, one DynamoDB JSON item a line, or
all of them as one JSON array with --output json.`,
		Example: `  stacklab table scan Users
  stacklab table scan Users --limit 10 --output json`,
		Args: exactArgs(1, "TABLE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := rf.client()
			if err != nil {
				return err
			}
			path := "/v1/tables/" + url.PathEscape(args[0]) + "/items"
			if limit > 0 {
				path += "?limit=" + strconv.Itoa(limit)
			}
			items := []table.Item{}
			if err := c.GetJSON(cmd.Context(), path, &items); err != nil {
				return err
			}
			if out == "json" {
				return writeJSON(cmd.OutOrStdout(), items)
			}
			for _, it := range items {
				b, _ := json.Marshal(it)
				fmt.Fprintln(cmd.OutOrStdout(), string(b))
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "%d item(s)\n", len(items))
			return nil
		},
	}
	rf.add(cmd)
	addOutput(cmd, &out)
	cmd.Flags().IntVar(&limit, "limit", 0, "print at most `N` items")
	return cmd
}
