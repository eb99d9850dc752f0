package diag

import "testing"

func TestString(t *testing.T) {
	tests := []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{Severity: Error, Pos: Pos{File: "t.yaml", Line: 3, Col: 5}, Resource: "Fn", Property: "MemorySize", Message: "bad", Fix: "fix it"},
			"t.yaml:3:5: error: Fn.MemorySize: bad (fix: fix it)"},
		{Diagnostic{Severity: Warning, Pos: Pos{File: "t.yaml", Line: 1, Col: 1}, Property: "Parameters.X", Message: "no value"},
			"t.yaml:1:1: warning: Parameters.X: no value"},
		{Diagnostic{Severity: Error, Pos: Pos{File: "t.yaml"}, Resource: "R", Message: "m"}, "t.yaml: error: R: m"},
		{Diagnostic{Severity: Error, Message: "m"}, "-: error: m"},
	}
	for _, tt := range tests {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("got %q, want %q", got, tt.want)
		}
	}
}

func TestSortOrdersAndDropsDuplicates(t *testing.T) {
	var l List
	l.Errorf(Pos{File: "b.yaml", Line: 1, Col: 1}, "", "", "", "b")
	l.Warnf(Pos{File: "a.yaml", Line: 9, Col: 1}, "", "", "", "late")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Col: 7}, "R", "P", "f", "x")
	l.Errorf(Pos{File: "a.yaml", Line: 2, Col: 7}, "R", "P", "f", "x")
	l.Sort()
	var got []string
	for _, d := range l {
		got = append(got, d.String())
	}
	want := []string{"a.yaml:2:7: error: R.P: x (fix: f)", "a.yaml:9:1: warning: late", "b.yaml:1:1: error: b"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("[%d] got %q, want %q", i, got[i], want[i])
		}
	}
	if e, w := l.Count(); e != 2 || w != 1 || !l.HasErrors() {
		t.Errorf("Count = %d errors, %d warnings; want 2, 1", e, w)
	}
}
