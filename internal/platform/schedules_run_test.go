package platform

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stacklab/stacklab/internal/services/schedule"
)

// TestSchedulesFireFunctions deploys a function with a rate schedule, a
// cron ScheduleV2 with Input and an AWS::Events::Rule, moves the clock
// through one hour, and counts what the function printed: one scheduled
// event a minute, one Input every quarter hour, one rule event at the hour,
// each with the EventBridge scheduled event shape.
func TestSchedulesFireFunctions(t *testing.T) {
	if testing.Short() {
		t.Skip("runs functions")
	}
	ctx := context.Background()
	clock := schedule.NewManualClock(time.Date(2026, 11, 22, 9, 59, 30, 0, time.UTC))
	p, err := New(Options{StateDir: t.TempDir(), Clock: clock, Region: "eu-west-1", AccountID: "111122223333"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	file, _ := filepath.Abs("testdata/schedule/template.yaml")
	if _, err := p.Deploy(ctx, file); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	const jobs = 3
	waitUntil(t, "the schedules to wait for their ticks", func() bool { return clock.Pending() == jobs })
	for range 61 { // 09:59:30 -> 11:00:30
		clock.Advance(time.Minute)
		waitUntil(t, "the schedules to wait again", func() bool { return clock.Pending() == jobs })
	}
	// Ticks from 10:00 to 11:00: 61 minutes, 5 quarters, 2 hours.
	const want = 61 + 5 + 2
	var events []map[string]any
	waitUntil(t, "every tick to reach the function", func() bool {
		events = events[:0]
		for _, l := range strings.Split(logText(p, "sweeper"), "\n") {
			if j, ok := strings.CutPrefix(l, "event: "); ok {
				var ev map[string]any
				if err := json.Unmarshal([]byte(j), &ev); err != nil {
					t.Fatalf("the function printed %q: %v", l, err)
				}
				events = append(events, ev)
			}
		}
		return len(events) >= want
	})
	var minutes, quarters, hours int
	for _, ev := range events {
		if ev["mode"] == "quick" {
			quarters++
			continue
		}
		if ev["detail-type"] != "Scheduled Event" || ev["source"] != "aws.events" || ev["region"] != "eu-west-1" || ev["account"] != "111122223333" {
			t.Errorf("not a scheduled event: %v", ev)
			continue
		}
		at, err := time.Parse(time.RFC3339, ev["time"].(string))
		if err != nil || at.Second() != 0 {
			t.Errorf("event time %v is not a whole minute", ev["time"])
		}
		res, _ := ev["resources"].([]any)
		if len(res) != 1 {
			t.Errorf("resources = %v, want the rule's ARN", ev["resources"])
			continue
		}
		switch rule := res[0].(string); {
		case strings.HasSuffix(rule, ":rule/Hourly"):
			hours++
			if at.Minute() != 0 {
				t.Errorf("hourly event at %v", at)
			}
		case strings.HasPrefix(rule, "arn:aws:events:eu-west-1:111122223333:rule/"):
			minutes++
		default:
			t.Errorf("resources = %v", res)
		}
	}
	if minutes != 61 || quarters != 5 || hours != 2 {
		t.Errorf("got %d minute, %d quarter-hour and %d hourly events, want 61, 5 and 2", minutes, quarters, hours)
	}
}

// waitUntil polls ok until it holds, failing the test after a minute.
func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
