package bucket

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/stacklab/stacklab/internal/invoke"
	"github.com/stacklab/stacklab/internal/telemetry"
	"github.com/stacklab/stacklab/internal/telemetry/tracectx"
)

// Event is the S3 event notification Lambda and SQS receive.
type Event struct {
	Records []Record `json:"Records"`
}

// Record is one S3 event record, as AWS documents it (version 2.1).
type Record struct {
	EventVersion      string            `json:"eventVersion"`
	EventSource       string            `json:"eventSource"`
	AWSRegion         string            `json:"awsRegion"`
	EventTime         string            `json:"eventTime"`
	EventName         string            `json:"eventName"`
	UserIdentity      Identity          `json:"userIdentity"`
	RequestParameters map[string]string `json:"requestParameters"`
	ResponseElements  map[string]string `json:"responseElements"`
	S3                Entity            `json:"s3"`
}

// Identity is a principal of a record.
type Identity struct {
	PrincipalID string `json:"principalId"`
}

// Entity is the s3 part of a record.
type Entity struct {
	SchemaVersion   string       `json:"s3SchemaVersion"`
	ConfigurationID string       `json:"configurationId"`
	Bucket          BucketEntity `json:"bucket"`
	Object          ObjectEntity `json:"object"`
}

// BucketEntity is the bucket of a record.
type BucketEntity struct {
	Name          string   `json:"name"`
	OwnerIdentity Identity `json:"ownerIdentity"`
	ARN           string   `json:"arn"`
}

// ObjectEntity is the object of a record. Key is URL-encoded as S3 does
// (spaces as +); Size and ETag are left out of removal events.
type ObjectEntity struct {
	Key       string `json:"key"`
	Size      *int64 `json:"size,omitempty"`
	ETag      string `json:"eTag,omitempty"`
	Sequencer string `json:"sequencer"`
}

// Matches reports whether a notification wants an event (ObjectCreated:Put,
// ObjectRemoved:Delete, ...) on a key: one of its event names matches, as
// itself or with a trailing * (s3:ObjectCreated:*), and the key has its
// prefix and suffix.
func (n Notification) Matches(event, key string) bool {
	if !strings.HasPrefix(key, n.Prefix) || !strings.HasSuffix(key, n.Suffix) {
		return false
	}
	for _, e := range n.Events {
		e = strings.TrimPrefix(e, "s3:")
		if e == event {
			return true
		}
		if p, ok := strings.CutSuffix(e, "*"); ok && strings.HasPrefix(event, p) {
			return true
		}
	}
	return false
}

// EncodeKey URL-encodes an object key as S3 event records carry it: as a
// form value, slashes kept.
func EncodeKey(key string) string {
	return strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
}

var seqCounter atomic.Uint64

// record is the event record of one notification.
func (s *Service) record(b *bucket, n Notification, event string, obj Object, now time.Time) Record {
	o := ObjectEntity{Key: EncodeKey(obj.Key),
		// Increasing for a key, as S3's: the time and a counter.
		Sequencer: fmt.Sprintf("%016X%04X", now.UnixNano(), seqCounter.Add(1)&0xffff)}
	if strings.HasPrefix(event, "ObjectCreated:") {
		size := obj.Size
		o.Size, o.ETag = &size, obj.ETag
	}
	principal := "AWS:STACKLAB"
	return Record{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: s.opts.Region,
		EventTime: now.UTC().Format("2006-01-02T15:04:05.000Z"), EventName: event,
		UserIdentity:      Identity{PrincipalID: principal},
		RequestParameters: map[string]string{"sourceIPAddress": "127.0.0.1"},
		ResponseElements:  map[string]string{"x-amz-request-id": fmt.Sprintf("%016X", now.UnixNano()), "x-amz-id-2": "stacklab"},
		S3: Entity{SchemaVersion: "1.0", ConfigurationID: n.ID,
			Bucket: BucketEntity{Name: b.cfg.Name, OwnerIdentity: Identity{PrincipalID: s.opts.AccountID}, ARN: ARN(b.cfg.Name)},
			Object: o},
	}
}

// notify delivers an event to every matching notification of a bucket.
// Function events are accepted (stored durably) before it returns. It
// returns the notifications that could not be handed over, which are lost
// unless the caller's client tries again.
func (s *Service) notify(ctx context.Context, b *bucket, event string, obj Object) error {
	now := time.Now()
	var errs []error
	for _, n := range b.cfg.Notifications {
		if !n.Matches(event, obj.Key) {
			continue
		}
		payload, err := json.Marshal(Event{Records: []Record{s.record(b, n, event, obj, now)}})
		if err != nil {
			s.log.Error("encoding an S3 event", "err", err)
			errs = append(errs, fmt.Errorf("notification %s: encoding the event: %w", n.ID, err))
			continue
		}
		log := s.log.With("bucket", b.cfg.ID, "key", obj.Key, "event", event, "notification", n.ID)
		switch {
		case n.Function != "" && s.opts.Invoker != nil:
			if _, err := s.opts.Invoker.Invoke(ctx, invoke.Request{Function: n.Function, Payload: payload, Type: invoke.Event,
				TraceID: tracectx.XRay(ctx), Trigger: telemetry.TriggerDatasource}); err != nil {
				log.Warn("the S3 event did not reach the function", "function", n.Function, "err", err)
				errs = append(errs, fmt.Errorf("notification %s to function %s: %w", n.ID, n.Function, err))
			}
		case n.Queue != "" && s.opts.SendToQueue != nil:
			if err := s.opts.SendToQueue(ctx, n.Queue, string(payload)); err != nil {
				log.Warn("the S3 event did not reach the queue", "queue", n.Queue, "err", err)
				errs = append(errs, fmt.Errorf("notification %s to queue %s: %w", n.ID, n.Queue, err))
			}
		case n.Topic != "" && s.opts.PublishToTopic != nil:
			if err := s.opts.PublishToTopic(ctx, n.Topic, "Amazon S3 Notification", string(payload)); err != nil {
				log.Warn("the S3 event did not reach the topic", "topic", n.Topic, "err", err)
				errs = append(errs, fmt.Errorf("notification %s to topic %s: %w", n.ID, n.Topic, err))
			}
		default:
			log.Debug("no way to deliver this notification", "function", n.Function, "queue", n.Queue, "topic", n.Topic)
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s %s in bucket %s was done, but not every event notification could be queued (do it again to send them): %w",
		ErrNotNotified, event, obj.Key, b.cfg.ID, errors.Join(errs...))
}
