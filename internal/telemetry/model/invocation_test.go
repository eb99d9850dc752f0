package model

import (
	"math"
	"testing"
	"time"
)

func TestBill(t *testing.T) {
	tests := []struct {
		name       string
		p          Prices
		inv        Invocation
		wantBilled time.Duration
		wantGBs    float64
		wantCost   float64
	}{
		{
			name:       "rounds up to 1 ms",
			p:          DefaultPrices,
			inv:        Invocation{Duration: 1200 * time.Microsecond, MemorySizeMB: 1024, Outcome: OutcomeOK},
			wantBilled: 2 * time.Millisecond,
			wantGBs:    0.002,
			wantCost:   0.002*0.0000166667 + 0.0000002,
		},
		{
			name:       "exact millisecond is not rounded",
			p:          DefaultPrices,
			inv:        Invocation{Duration: 100 * time.Millisecond, MemorySizeMB: 128, Outcome: OutcomeOK},
			wantBilled: 100 * time.Millisecond,
			wantGBs:    0.0125,
			wantCost:   0.0125*0.0000166667 + 0.0000002,
		},
		{
			name:       "init billed on a cold start",
			p:          DefaultPrices,
			inv:        Invocation{Duration: 50 * time.Millisecond, InitDuration: 250 * time.Millisecond, MemorySizeMB: 512, Cold: true, Outcome: OutcomeHandledError},
			wantBilled: 300 * time.Millisecond,
			wantGBs:    0.15,
			wantCost:   0.15*0.0000166667 + 0.0000002,
		},
		{
			name:       "init not billed when configured so",
			p:          Prices{PerGBSecond: 1, PerRequest: 0, Granularity: 100 * time.Millisecond},
			inv:        Invocation{Duration: 101 * time.Millisecond, InitDuration: time.Second, MemorySizeMB: 2048, Outcome: OutcomeOK},
			wantBilled: 200 * time.Millisecond,
			wantGBs:    0.4,
			wantCost:   0.4,
		},
		{
			name: "throttled costs nothing",
			p:    DefaultPrices,
			inv:  Invocation{Duration: time.Second, MemorySizeMB: 1024, Outcome: OutcomeThrottled},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := tt.inv
			tt.p.Bill(&inv)
			if inv.BilledDuration != tt.wantBilled {
				t.Errorf("billed = %v, want %v", inv.BilledDuration, tt.wantBilled)
			}
			if math.Abs(inv.GBSeconds-tt.wantGBs) > 1e-12 {
				t.Errorf("GB-seconds = %v, want %v", inv.GBSeconds, tt.wantGBs)
			}
			if math.Abs(inv.Cost-tt.wantCost) > 1e-15 {
				t.Errorf("cost = %v, want %v", inv.Cost, tt.wantCost)
			}
		})
	}
}

func TestPricesValidate(t *testing.T) {
	if err := DefaultPrices.Validate(); err != nil {
		t.Errorf("default prices: %v", err)
	}
	for _, p := range []Prices{
		{PerGBSecond: -1, Granularity: time.Millisecond},
		{PerRequest: math.NaN(), Granularity: time.Millisecond},
		{PerGBSecond: 1},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("Validate(%+v) = nil, want an error", p)
		}
	}
}

func TestOutcome(t *testing.T) {
	for _, o := range Outcomes {
		if !o.Valid() {
			t.Errorf("%q not valid", o)
		}
	}
	if Outcome("weird").Valid() {
		t.Error("unknown outcome reported valid")
	}
	if OutcomeOK.IsError() || OutcomeThrottled.IsError() || !OutcomeTimeout.IsError() || !OutcomeOOM.IsError() {
		t.Error("IsError disagrees with its doc")
	}
}
