package topic_test

import (
	"fmt"

	"github.com/stacklab/stacklab/internal/services/topic"
)

func ExampleParsePolicy() {
	p, err := topic.ParsePolicy(`{"kind": ["order", {"prefix": "refund-"}], "total": [{"numeric": [">", 0, "<=", 100]}]}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	order := map[string]topic.Attribute{
		"kind":  {DataType: "String", StringValue: "order"},
		"total": {DataType: "Number", StringValue: "42"},
	}
	big := map[string]topic.Attribute{
		"kind":  {DataType: "String", StringValue: "refund-7"},
		"total": {DataType: "Number", StringValue: "250"},
	}
	fmt.Println(p.Match(order), p.Match(big))
	// Output: true false
}
