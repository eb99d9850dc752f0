package bucket

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/stacklab/stacklab/internal/bus/bustest"
	"github.com/stacklab/stacklab/internal/services/queue"
)

// TestUnqueuedNotificationIsAnError checks that a put or delete whose
// notification cannot be queued (here: the queue service is closed) says
// so with ErrNotNotified, naming the notification and its queue, instead
// of answering success and losing the event.
func TestUnqueuedNotificationIsAnError(t *testing.T) {
	b := bustest.Start(t, t.TempDir())
	defer b.Close()
	ctx := context.Background()
	qs := queue.New(b.JetStream(), queue.Options{})
	if err := qs.Apply(ctx, []queue.Config{{ID: "Uploads"}}); err != nil {
		t.Fatal(err)
	}
	s := New(b.JetStream(), Options{SendToQueue: func(ctx context.Context, q, body string) error {
		_, err := qs.Send(ctx, q, queue.SendInput{Body: body})
		return err
	}})
	defer s.Close()
	if err := s.Apply(ctx, []Config{{ID: "Files", Notifications: []Notification{{ID: "ToQueue", Events: []string{"s3:ObjectCreated:*", "s3:ObjectRemoved:*"}, Queue: "Uploads"}}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "Files", "first.csv", strings.NewReader("a,b"), PutInput{}); err != nil {
		t.Fatalf("a put with its queue running: %v", err)
	}
	qs.Close()

	obj, err := s.Put(ctx, "Files", "report.csv", strings.NewReader("a,b"), PutInput{})
	if !errors.Is(err, ErrNotNotified) || !errors.Is(err, queue.ErrClosed) {
		t.Fatalf("a put whose notification cannot be queued: %v, want ErrNotNotified wrapping the queue's error", err)
	}
	for _, want := range []string{"ObjectCreated:Put report.csv in bucket Files", "notification ToQueue to queue Uploads", "do it again"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error %q does not say %q", err, want)
		}
	}
	if h, herr := s.Head(ctx, "Files", "report.csv"); herr != nil || h.ETag != obj.ETag || obj.Size != 3 {
		t.Errorf("the object after the put: %+v, %v; want it stored (the put is to be done again, not undone)", h, herr)
	}
	if _, err := s.Delete(ctx, "Files", "first.csv"); !errors.Is(err, ErrNotNotified) || !strings.Contains(err.Error(), "ObjectRemoved:Delete first.csv") {
		t.Errorf("a delete whose notification cannot be queued: %v, want ErrNotNotified", err)
	}
}
