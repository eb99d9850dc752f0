package pipeline

import "testing"

func TestJobID(t *testing.T) {
	for _, tc := range []struct{ key, want string }{
		{"sample.fa", "sample"},
		{"uploads/sample.fa", "sample"},
		{"uploads/hg38.chr1.fa.gz", "hg38"},
		{"genome", "genome"},
		{".hidden", ".hidden"},
	} {
		if got := JobID(tc.key); got != tc.want {
			t.Errorf("JobID(%q) = %q, want %q", tc.key, got, tc.want)
		}
	}
}

func TestEnvInt(t *testing.T) {
	t.Setenv("GS_N", "")
	if n, err := EnvInt("GS_N", 7); n != 7 || err != nil {
		t.Errorf("unset: %d, %v; want 7, nil", n, err)
	}
	t.Setenv("GS_N", "20000")
	if n, err := EnvInt("GS_N", 7); n != 20000 || err != nil {
		t.Errorf("20000: %d, %v; want 20000, nil", n, err)
	}
	for _, bad := range []string{"0", "-1", "lots"} {
		t.Setenv("GS_N", bad)
		if _, err := EnvInt("GS_N", 7); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
