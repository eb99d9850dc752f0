package cli

import (
	"io"
	"os"
	"unicode/utf8"

	"github.com/spf13/cobra"
)

// messageText is the message a command sends: the text of the flag named
// textFlag, or the content of the file in the flag fileFlag ("-" for
// standard input), for bodies too large for a command line. It must be
// UTF-8 text; a file of more than limit bytes is refused before it is
// sent (service names who sets the limit).
func messageText(cmd *cobra.Command, text, textFlag, file, fileFlag string, limit int, service string) (string, error) {
	hasText, hasFile := cmd.Flags().Changed(textFlag), cmd.Flags().Changed(fileFlag)
	switch {
	case hasText && hasFile:
		return "", usagef("give --%s or --%s, not both", textFlag, fileFlag)
	case !hasText && !hasFile:
		return "", usagef("give the message with --%s TEXT, or --%s FILE (- for standard input)", textFlag, fileFlag)
	case hasText:
		return text, nil // the service checks its size
	}
	where := file
	var r io.Reader = cmd.InOrStdin()
	if file == "-" {
		where = "standard input"
	} else {
		f, err := os.Open(file)
		if err != nil {
			return "", usagef("--%s: %v", fileFlag, err)
		}
		defer f.Close()
		r = f
	}
	// Read one byte past the limit: enough to know the message is too big
	// without reading all of a huge file.
	b, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err != nil {
		return "", usagef("--%s: reading %s: %v", fileFlag, where, err)
	}
	if len(b) > limit {
		return "", usagef("--%s: %s holds more than the %d bytes (256 KiB) %s allows for a message with its attributes; send a smaller message, or store the data in a bucket and send its key", fileFlag, where, limit, service)
	}
	if !utf8.Valid(b) {
		return "", usagef("--%s: %s is not UTF-8 text; %s messages are text (encode binary data as base64 first)", fileFlag, where, service)
	}
	return string(b), nil
}
