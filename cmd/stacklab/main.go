// Command stacklab runs serverless stacks written as AWS SAM / CloudFormation templates.
package main

import (
	"os"

	"github.com/stacklab/stacklab/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
