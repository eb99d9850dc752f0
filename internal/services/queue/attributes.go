package queue

import (
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"sort"
	"strings"
)

// AttributesMD5 is the MD5OfMessageAttributes SQS answers for a message's
// attributes ("" for none): the digest of the attributes sorted by name,
// each as its name, data type, transport type (1 string, 2 binary) and
// value, the strings and bytes preceded by their length in four bytes, big
// endian. SDKs that check it compute the same.
func AttributesMD5(attrs map[string]Attribute) string {
	if len(attrs) == 0 {
		return ""
	}
	names := make([]string, 0, len(attrs))
	for k := range attrs {
		names = append(names, k)
	}
	sort.Strings(names)
	var b []byte
	field := func(v []byte) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
		b = append(b, v...)
	}
	for _, k := range names {
		a := attrs[k]
		field([]byte(k))
		field([]byte(a.DataType))
		if strings.HasPrefix(a.DataType, "Binary") {
			b = append(b, 2)
			field(a.BinaryValue)
		} else {
			b = append(b, 1)
			field([]byte(a.StringValue))
		}
	}
	sum := md5.Sum(b)
	return hex.EncodeToString(sum[:])
}
