package bucket

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// TestUnknownBucketNamesTheKnownOnes checks that the error for a bucket
// that does not exist names it and lists the stack's buckets.
func TestUnknownBucketNamesTheKnownOnes(t *testing.T) {
	s := newService(t, Options{}, Config{ID: "Uploads"}, Config{ID: "Archive", Name: "archive-bucket"})
	_, err := s.Put(context.Background(), "Uplods", "k", strings.NewReader("x"), PutInput{})
	if !errors.Is(err, ErrNoBucket) || !strings.Contains(err.Error(), `"Uplods"`) || !strings.Contains(err.Error(), "the stack's buckets: Archive, Uploads") {
		t.Errorf("got %v, want ErrNoBucket naming Uplods and listing Archive, Uploads", err)
	}
	empty := newService(t, Options{})
	if _, err := empty.List(context.Background(), "Uploads", ""); !errors.Is(err, ErrNoBucket) || !strings.Contains(err.Error(), "the stack has no buckets") {
		t.Errorf("got %v, want ErrNoBucket saying the stack has no buckets", err)
	}
}
