package version

import (
	"context"
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"2025-01-01", true},
		{"2024-02-29", true}, // leap year
		{"2000-02-29", true}, // divisible by 400
		{"2025-12-31", true},
		{"2025-02-29", false}, // not a leap year
		{"1900-02-29", false}, // divisible by 100
		{"2025-04-31", false},
		{"2025-13-01", false},
		{"2025-00-10", false},
		{"2025-01-00", false},
		{"0000-01-01", false},
		{"2025-1-01", false},
		{"2025/01/01", false},
		{" 2025-01-01", false},
		{"2025-01-01 ", false},
		{"2025-01-01T00:00:00Z", false},
		{"+025-01-01", false},
		{"2025-0a-01", false},
		{"", false},
		{"v1", false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, err := Parse(tc.in)
			if tc.ok {
				if err != nil || v.String() != tc.in || v.IsZero() {
					t.Fatalf("Parse(%q) = %q, %v; want the version", tc.in, v, err)
				}
				return
			}
			if !errors.Is(err, ErrMalformed) || !v.IsZero() {
				t.Fatalf("Parse(%q) = %q, %v; want ErrMalformed", tc.in, v, err)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	v, _ := Parse("2025-06-01")
	tests := []struct {
		d               string
		atLeast, before bool
	}{
		{"2025-01-01", true, false},
		{"2025-05-31", true, false},
		{"2025-06-01", true, false},
		{"2025-06-02", false, true},
		{"2026-01-01", false, true},
		{"2025-6-1", false, false}, // malformed: neither
		{"", false, false},
	}
	for _, tc := range tests {
		if got := v.AtLeast(tc.d); got != tc.atLeast {
			t.Errorf("AtLeast(%q) = %v, want %v", tc.d, got, tc.atLeast)
		}
		if got := v.Before(tc.d); got != tc.before {
			t.Errorf("Before(%q) = %v, want %v", tc.d, got, tc.before)
		}
	}
	var zero Version
	if zero.AtLeast("0001-01-01") || !zero.Before("0001-01-01") {
		t.Error("the zero Version must be before every version")
	}
}

func TestFromContextNoAlloc(t *testing.T) {
	v, _ := Parse("2025-06-01")
	ctx := context.WithValue(context.Background(), ctxKey{}, any(v))
	var ok bool
	allocs := testing.AllocsPerRun(100, func() {
		ok = FromContext(ctx).AtLeast("2025-01-01") && FromContext(ctx).Before("2026-01-01")
	})
	if !ok {
		t.Fatal("comparison failed")
	}
	if allocs != 0 {
		t.Fatalf("FromContext + AtLeast + Before allocate %v times, want 0", allocs)
	}
	if FromContext(context.Background()) != (Version{}) {
		t.Fatal("FromContext of an empty context is not the zero Version")
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"2025-01-01", "2024-02-29", "2025-02-29", "9999-12-31", "0000-00-00", "abcd-ef-gh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s)
		if err != nil {
			if !v.IsZero() {
				t.Fatalf("Parse(%q) failed but returned %q", s, v)
			}
			return
		}
		if v.String() != s || !v.AtLeast(s) || v.Before(s) {
			t.Fatalf("Parse(%q) = %q is not equal to itself", s, v)
		}
	})
}

func BenchmarkFromContextAtLeast(b *testing.B) {
	v, _ := Parse("2025-06-01")
	ctx := context.WithValue(context.Background(), ctxKey{}, any(v))
	b.ReportAllocs()
	for b.Loop() {
		if !FromContext(ctx).AtLeast("2025-06-01") {
			b.Fatal("not at least")
		}
	}
}
