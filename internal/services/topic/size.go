package topic

// publishSize is what SNS counts against MaxMessageSize: the message and,
// for each attribute, its name, data type and value.
func publishSize(in PublishInput) int {
	n := len(in.Message)
	for k, a := range in.MessageAttributes {
		n += len(k) + len(a.DataType) + len(a.StringValue) + len(a.BinaryValue)
	}
	return n
}
