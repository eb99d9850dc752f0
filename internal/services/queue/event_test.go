package queue

import (
	"encoding/json"
	"testing"
)

// TestAppendEventMatchesEncodingJSON checks the hand-written encoder of
// SQS events against encoding/json, byte for byte.
func TestAppendEventMatchesEncodingJSON(t *testing.T) {
	s := func(v string) *string { return &v }
	records := []Record{
		{MessageID: "id-1", ReceiptHandle: "JC5BQ0s", Body: `{"n":1,"html":"<a href='x'>&amp;</a>"}`,
			Attributes:        map[string]string{"SentTimestamp": "1", "ApproximateReceiveCount": "2", "SenderId": "123"},
			MessageAttributes: map[string]RecordAttribute{},
			MD5OfBody:         "abc", EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:1:q", AWSRegion: "us-east-1"},
		{MessageID: "id-2", Body: "tabs\tnew\nlines\r\u0000\u001f\u007f quote\" back\\ \u2028\u2029 é 日本 \xff\xfe bad",
			MessageAttributes: map[string]RecordAttribute{
				"b": {DataType: "Binary", BinaryValue: []byte{0, 1, 2, 250}, StringListValues: []string{}, BinaryListValues: [][]byte{}},
				"a": {DataType: "String", StringValue: s("x<y"), StringListValues: []string{"p", "q\""}, BinaryListValues: [][]byte{{1}, nil}},
				"c": {DataType: "Number", StringValue: s("")},
			}},
		{},
	}
	for n := range len(records) + 1 {
		want, err := json.Marshal(Event{Records: records[:n]})
		if err != nil {
			t.Fatal(err)
		}
		if got := appendEvent(nil, records[:n]); string(got) != string(want) {
			t.Errorf("%d records:\ngot  %s\nwant %s", n, got, want)
		}
	}
}
