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

// BenchmarkAppendEvent encodes the event of a batch of ten messages as the
// services benchmark sends them (41-byte bodies, the system attributes and
// a trace header, no message attributes).
func BenchmarkAppendEvent(b *testing.B) {
	rs := make([]Record, 10)
	for i := range rs {
		rs[i] = Record{MessageID: "0d9a6a4e-5c1a-4a55-9a4d-7f0f8f3d2c1b",
			ReceiptHandle:     "JEpTLkFDSy5TVEFDS0xBQl9RVUVVRV9Kb2JzLnNxcy4xLjEyMzQ1LjEyMzQ1LjE3NjM4MDAwMDAwMDAwMDAwMDAuMA",
			Body:              `{"job":"0d9a6a4e","n":1234,"chunk":"ACGT"}`,
			Attributes:        map[string]string{"ApproximateReceiveCount": "1", "SentTimestamp": "1763800000000", "SenderId": "123456789012", "ApproximateFirstReceiveTimestamp": "1763800000001", "AWSTraceHeader": "Root=1-6b0304f6-30cc0b1245591656dff3dc51;Parent=5e50a4f55d8d3a00;Sampled=1"},
			MessageAttributes: map[string]RecordAttribute{}, MD5OfBody: "6a1f0e7c2b9d4e3f8a5b6c7d8e9f0a1b",
			EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:us-east-1:123456789012:Jobs", AWSRegion: "us-east-1"}
	}
	b.ReportAllocs()
	var buf []byte
	for b.Loop() {
		buf = appendEvent(buf[:0], rs)
	}
	b.SetBytes(int64(len(buf)))
}
