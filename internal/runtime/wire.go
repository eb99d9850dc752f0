package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
)

// The Runtime API is served by a small HTTP/1.1 server of its own (see
// apiserver.go) rather than net/http's: a runtime makes only four kinds of
// request, one at a time on a keep-alive connection, and every invocation
// costs two of them. This file reads those requests: the request line, the
// headers the API uses, and bodies framed by Content-Length or chunked
// transfer coding with trailers (which response-streaming runtimes and
// aws-lambda-go send).

// maxHeaderBytes bounds a request's header section, and separately its
// trailers, as net/http's default: aws-lambda-go sends X-Ray error causes
// of up to 1 MB in a header.
const maxHeaderBytes = 1<<20 + 4096

// apiRequest is one Runtime API request, its body not yet read.
type apiRequest struct {
	method string
	path   string // decoded, without the query
	minor  int    // HTTP/1.minor

	contentLength int64 // -1: unknown (chunked or none)
	chunked       bool
	close         bool // Connection: close, or HTTP/1.0 without keep-alive
	expect100     bool // Expect: 100-continue

	errorType string // Lambda-Runtime-Function-Error-Type

	// Set while the body is read: the trailers a chunked body ended with.
	trailerErrorType string // Lambda-Runtime-Function-Error-Type
	trailerErrorBody string // Lambda-Runtime-Function-Error-Body
}

// wireError is a request that cannot be served: the status to answer and
// why. The connection is closed after the answer, since what follows the
// bad request on it cannot be trusted.
type wireError struct {
	status int
	msg    string
}

func (e *wireError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &wireError{status: 400, msg: fmt.Sprintf(format, args...)}
}

// readLineLimited reads one line (CRLF or LF), without the line end, taking
// at most *budget bytes from it. The slice is valid until the next read
// from br unless the line was longer than br's buffer.
func readLineLimited(br *bufio.Reader, budget *int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		long := append([]byte(nil), line...)
		for err == bufio.ErrBufferFull {
			if len(long) > *budget {
				return nil, &wireError{status: 431, msg: "request header fields too large"}
			}
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	*budget -= len(line)
	if *budget < 0 {
		return nil, &wireError{status: 431, msg: "request header fields too large"}
	}
	if err != nil {
		if err == io.EOF && len(line) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	line = line[:len(line)-1]
	if n := len(line); n > 0 && line[n-1] == '\r' {
		line = line[:n-1]
	}
	return line, nil
}

// readAPIRequest reads a request line and headers. io.EOF means the
// connection ended cleanly between requests.
func readAPIRequest(br *bufio.Reader) (*apiRequest, error) {
	budget := maxHeaderBytes
	line, err := readLineLimited(br, &budget)
	// Tolerate empty lines before a request (RFC 9112, section 2.2).
	for err == nil && len(line) == 0 {
		line, err = readLineLimited(br, &budget)
	}
	if err != nil {
		return nil, err
	}
	req := &apiRequest{contentLength: -1}
	method, rest, ok1 := bytes.Cut(line, []byte{' '})
	target, proto, ok2 := bytes.Cut(rest, []byte{' '})
	if !ok1 || !ok2 || len(method) == 0 || len(target) == 0 {
		return nil, badRequest("malformed request line %q", clip(line))
	}
	if !isToken(method) {
		return nil, badRequest("malformed method %q", clip(method))
	}
	switch string(proto) {
	case "HTTP/1.1":
		req.minor = 1
	case "HTTP/1.0":
		req.minor = 0
		req.close = true
	default:
		return nil, &wireError{status: 505, msg: fmt.Sprintf("HTTP version %q is not supported: use HTTP/1.1", clip(proto))}
	}
	req.method = string(method)
	if req.path, err = requestPath(target); err != nil {
		return nil, err
	}

	var clSeen bool
	for {
		line, err := readLineLimited(br, &budget)
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if len(line) == 0 {
			break
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !isToken(name) {
			return nil, badRequest("malformed header line %q", clip(line))
		}
		value = bytes.TrimSpace(value)
		switch {
		case equalFold(name, "Content-Length"):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || len(value) == 0 || value[0] == '+' {
				return nil, badRequest("malformed Content-Length %q", clip(value))
			}
			if clSeen && n != req.contentLength {
				return nil, badRequest("two different Content-Length headers")
			}
			clSeen, req.contentLength = true, n
		case equalFold(name, "Transfer-Encoding"):
			if !equalFold(value, "chunked") || req.chunked {
				return nil, &wireError{status: 501, msg: fmt.Sprintf("Transfer-Encoding %q is not supported: send chunked or Content-Length", clip(value))}
			}
			req.chunked = true
		case equalFold(name, "Connection"):
			for tok := range strings.SplitSeq(string(value), ",") {
				switch tok = strings.TrimSpace(tok); {
				case strings.EqualFold(tok, "close"):
					req.close = true
				case strings.EqualFold(tok, "keep-alive") && req.minor == 0:
					req.close = false
				}
			}
		case equalFold(name, "Expect"):
			if !equalFold(value, "100-continue") {
				return nil, &wireError{status: 417, msg: fmt.Sprintf("Expect %q is not supported", clip(value))}
			}
			req.expect100 = req.minor == 1
		case equalFold(name, "Lambda-Runtime-Function-Error-Type"):
			req.errorType = string(value)
		}
	}
	if req.chunked && req.minor == 0 {
		return nil, badRequest("Transfer-Encoding in an HTTP/1.0 request")
	}
	if req.chunked && clSeen {
		return nil, badRequest("both Transfer-Encoding and Content-Length")
	}
	if req.chunked {
		req.contentLength = -1
	} else if !clSeen {
		req.contentLength = 0 // a request without either has no body
	}
	return req, nil
}

// requestPath is the decoded path of an origin-form or absolute-form
// request target.
func requestPath(target []byte) (string, error) {
	s := string(target)
	if !strings.HasPrefix(s, "/") {
		// absolute-form: http://host/path
		_, after, ok := strings.Cut(s, "://")
		if !ok {
			return "", badRequest("malformed request target %q", clip(target))
		}
		i := strings.IndexByte(after, '/')
		if i < 0 {
			return "", nil
		}
		s = after[i:]
	}
	if i := strings.IndexByte(s, '?'); i >= 0 {
		s = s[:i]
	}
	if strings.IndexByte(s, '%') < 0 {
		return s, nil
	}
	p, err := url.PathUnescape(s)
	if err != nil {
		return "", badRequest("malformed request target %q: %v", clip(target), err)
	}
	return p, nil
}

// errBodyTooLarge means a body went past the limit readBody was given.
var errBodyTooLarge = errors.New("body too large")

// readBody reads the request's body into buf (reusing its storage) and
// returns it. A body longer than limit is not kept: the rest is read and
// thrown away, up to discardLimit, and errBodyTooLarge is returned.
func (req *apiRequest) readBody(br *bufio.Reader, buf []byte, limit, discardLimit int64) ([]byte, error) {
	buf = buf[:0]
	if !req.chunked {
		n := req.contentLength
		if n > limit {
			if n > discardLimit {
				return nil, &wireError{status: 413, msg: "body too large"}
			}
			if _, err := br.Discard(int(n)); err != nil {
				return nil, unexpected(err)
			}
			return nil, errBodyTooLarge
		}
		buf = grow(buf, int(n))
		if _, err := io.ReadFull(br, buf[:n]); err != nil {
			return nil, unexpected(err)
		}
		return buf[:n], nil
	}
	var total int64
	for {
		budget := 4096
		line, err := readLineLimited(br, &budget)
		if err != nil {
			if we, ok := err.(*wireError); ok && we.status == 431 {
				return nil, badRequest("chunk size line too long")
			}
			return nil, unexpected(err)
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i] // chunk extensions are ignored
		}
		line = bytes.TrimRight(line, " \t")
		size, err := strconv.ParseUint(string(line), 16, 63)
		if err != nil || len(line) == 0 || len(line) > 16 {
			return nil, badRequest("malformed chunk size %q", clip(line))
		}
		if size == 0 {
			break
		}
		if total+int64(size) > discardLimit {
			return nil, &wireError{status: 413, msg: "body too large"}
		}
		if total+int64(size) > limit {
			if _, err := br.Discard(int(size)); err != nil {
				return nil, unexpected(err)
			}
		} else {
			start := len(buf)
			buf = grow(buf, start+int(size))
			if _, err := io.ReadFull(br, buf[start:start+int(size)]); err != nil {
				return nil, unexpected(err)
			}
			buf = buf[:start+int(size)]
		}
		total += int64(size)
		if err := readCRLF(br); err != nil {
			return nil, err
		}
	}
	if err := req.readTrailers(br); err != nil {
		return nil, err
	}
	if total > limit {
		return nil, errBodyTooLarge
	}
	return buf, nil
}

// readTrailers reads the trailer section after the last chunk.
func (req *apiRequest) readTrailers(br *bufio.Reader) error {
	budget := maxHeaderBytes
	for {
		line, err := readLineLimited(br, &budget)
		if err != nil {
			if _, ok := err.(*wireError); ok {
				return err
			}
			return unexpected(err)
		}
		if len(line) == 0 {
			return nil
		}
		name, value, ok := bytes.Cut(line, []byte{':'})
		if !ok || !isToken(name) {
			return badRequest("malformed trailer line %q", clip(line))
		}
		value = bytes.TrimSpace(value)
		switch {
		case equalFold(name, "Lambda-Runtime-Function-Error-Type"):
			req.trailerErrorType = string(value)
		case equalFold(name, "Lambda-Runtime-Function-Error-Body"):
			req.trailerErrorBody = string(value)
		}
	}
}

func readCRLF(br *bufio.Reader) error {
	c, err := br.ReadByte()
	if err == nil && c == '\r' {
		c, err = br.ReadByte()
	}
	if err != nil {
		return unexpected(err)
	}
	if c != '\n' {
		return badRequest("malformed chunked body: no line end after a chunk")
	}
	return nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// grow returns buf with a length of at least n, keeping its contents.
func grow(buf []byte, n int) []byte {
	if n <= cap(buf) {
		return buf[:n]
	}
	out := make([]byte, n, max(n, 2*cap(buf)))
	copy(out, buf)
	return out
}

// isToken reports whether b is an HTTP token (RFC 9110), as method and
// field names must be.
func isToken(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// equalFold reports whether b equals s, ignoring ASCII case.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range len(b) {
		x, y := b[i], s[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// clip shortens what goes into an error message.
func clip(b []byte) string {
	if len(b) > 100 {
		return string(b[:100]) + "..."
	}
	return string(b)
}
