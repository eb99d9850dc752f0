package platform

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/bucket"
)

// TestBucketNotifications deploys a bucket whose .jpg puts reach a
// function (a SAM S3 event) and whose removals reach a queue (its
// NotificationConfiguration): a put runs the function with the S3 event,
// a delete sends the record to the queue.
func TestBucketNotifications(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a function")
	}
	ctx := context.Background()
	file, _ := filepath.Abs("testdata/bucket/template.yaml")
	p, err := New(Options{StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	cfgs := bucketConfigs(p.Stack())
	if len(cfgs) != 1 || len(cfgs[0].Notifications) != 3 {
		t.Fatalf("bucket configs: %+v", cfgs)
	}
	for _, n := range cfgs[0].Notifications {
		if !(n.Queue == "Removed" && n.Events[0] == "s3:ObjectRemoved:*") && !(n.Function == "Worker" && n.Suffix == ".jpg" && n.ID == "WorkerJpegs") &&
			!(n.Topic == "Alerts" && n.Prefix == "alert/") {
			t.Errorf("unexpected notification %+v", n)
		}
	}
	bs := p.Buckets()
	for _, k := range []string{"a cat.jpg", "notes.txt"} {
		if _, err := bs.Put(ctx, "Photos", k, strings.NewReader("data"), bucket.PutInput{}); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var text []string
		for _, l := range p.Logs().Query("Worker", time.Time{}, "") {
			text = append(text, l.Text)
		}
		log := strings.Join(text, "\n")
		if strings.Contains(log, "s3 object: ObjectCreated:Put photos a+cat.jpg") {
			if strings.Contains(log, "notes.txt") {
				t.Errorf("notes.txt reached the function despite the .jpg filter:\n%s", log)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the S3 event did not reach the function; its log:\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := bs.Delete(ctx, "photos", "notes.txt"); err != nil {
		t.Fatal(err)
	}
	msgs, err := p.Queues().Receive(ctx, "Removed", 10, 5*time.Second)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("receive: %v, %d messages, want 1", err, len(msgs))
	}
	var ev bucket.Event
	if err := json.Unmarshal([]byte(msgs[0].Body), &ev); err != nil || len(ev.Records) != 1 ||
		ev.Records[0].EventName != "ObjectRemoved:Delete" || ev.Records[0].S3.Object.Key != "notes.txt" || ev.Records[0].S3.Bucket.Name != "photos" {
		t.Errorf("queue message %s: %v", msgs[0].Body, err)
	}

	// A put under alert/ is published to the topic, which fans it out to
	// its queue in an SNS envelope.
	if _, err := bs.Put(ctx, "Photos", "alert/x", strings.NewReader("!"), bucket.PutInput{}); err != nil {
		t.Fatal(err)
	}
	var env struct{ Subject, Message string }
	deadline = time.Now().Add(15 * time.Second)
	for {
		msgs, err := p.Queues().Receive(ctx, "Alerted", 10, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) > 0 {
			if err := json.Unmarshal([]byte(msgs[0].Body), &env); err != nil {
				t.Fatalf("envelope %s: %v", msgs[0].Body, err)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the S3 event did not reach the topic's queue")
		}
	}
	ev = bucket.Event{}
	if err := json.Unmarshal([]byte(env.Message), &ev); err != nil || env.Subject != "Amazon S3 Notification" || len(ev.Records) != 1 ||
		ev.Records[0].S3.Object.Key != "alert/x" || ev.Records[0].EventName != "ObjectCreated:Put" {
		t.Errorf("topic message %+v: %v", env, err)
	}
}
