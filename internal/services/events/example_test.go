package events_test

import (
	"fmt"

	"github.com/stacklab/stacklab/internal/services/events"
)

func ExampleCompile() {
	p, err := events.Compile(`{"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}], "tags": ["gift"]}}`)
	if err != nil {
		fmt.Println(err)
		return
	}
	big, _ := p.Match([]byte(`{"source": "shop", "detail": {"amount": 250, "tags": ["gift", "express"]}}`))
	small, _ := p.Match([]byte(`{"source": "shop", "detail": {"amount": 5, "tags": ["gift"]}}`))
	fmt.Println(big, small)

	_, err = events.Compile(`{"detail": {"amount": [{"numeric": [">", 0, "<="]}]}}`)
	fmt.Println(err)
	// Output:
	// true false
	// invalid event pattern: detail.amount[0]: numeric needs pairs like [">", 0, "<=", 5]
}
