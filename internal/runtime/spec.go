package runtime

import (
	"fmt"
	"time"
)

// Spec is everything needed to run instances of one function.
type Spec struct {
	ID       string   // logical id in the template
	Name     string   // function name (AWS_LAMBDA_FUNCTION_NAME)
	Version  string   // "$LATEST"
	Runtime  string   // python3.12, nodejs20.x, provided.al2023, go1.x
	Handler  string   // _HANDLER
	Command  []string // the process that speaks the Runtime API (see Prepare)
	Dir      string   // LAMBDA_TASK_ROOT: the function's code
	Env      map[string]string
	MemoryMB int
	Timeout  time.Duration
	// Reserved is the function's ReservedConcurrentExecutions, or -1 when it
	// has none. 0 means the function is throttled: it never runs.
	Reserved int
}

func (s *Spec) arn(region, account string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, account, s.Name)
}

func (s *Spec) version() string {
	if s.Version == "" {
		return "$LATEST"
	}
	return s.Version
}
