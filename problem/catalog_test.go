package problem

import (
	"errors"
	"fmt"
	"sync"
	"testing"
)

func TestCatalogRejectsDuplicates(t *testing.T) {
	c := mustCatalog("https://api.example.com/errors/")
	unknown := MustDefine("referrals/unknown-patient", 422, "Unknown patient")
	if err := c.Register(unknown); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		defs []Definition
	}{
		{"same definition again", []Definition{unknown}},
		{"other definition, same code", []Definition{MustDefine("referrals/unknown-patient", 404, "x")}},
		{"standard code", []Definition{MustDefine("auth/invalid-token", 401, "x")}},
		{"duplicate inside one call", []Definition{MustDefine("a/b", 400, ""), MustDefine("a/b", 400, "")}},
		{"zero definition", []Definition{{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := c.Register(tt.defs...); err == nil {
				t.Fatal("Register accepted a duplicate")
			}
		})
	}
	if _, ok := c.Lookup("a/b"); ok {
		t.Fatal("a failed Register added some definitions")
	}
	if _, err := catalogDefine(c, "referrals/unknown-patient", 422, ""); !errors.Is(err, ErrDuplicateCode) {
		t.Fatalf("Define of a duplicate: %v", err)
	}
}

func TestCatalogBase(t *testing.T) {
	for _, base := range []string{"errors/", "://x", "not a uri"} {
		if _, err := NewCatalog(base); err == nil {
			t.Errorf("NewCatalog(%q) accepted a relative base", base)
		}
	}
	c := mustCatalog("https://parchment.health/errors/")
	if got := c.ResolveType(ValidationFailed.Type()); got != "https://parchment.health/errors/validation-error" {
		t.Fatalf("ResolveType = %q", got)
	}
}

func TestResolveType(t *testing.T) {
	tests := []struct{ base, typ, want string }{
		{"", "", aboutBlank},
		{"", "validation-error", aboutBlank},
		{"https://x/errors/", "validation-error", "https://x/errors/validation-error"},
		{"https://x/errors", "validation-error", "https://x/errors/validation-error"},
		{"https://x/errors/", "referrals/unknown-patient", "https://x/errors/referrals/unknown-patient"},
		{"https://x/errors/", "https://other/t", "https://other/t"},
		{"https://x/errors/", "urn:problem:x", "urn:problem:x"},
		{"https://x/errors/", aboutBlank, aboutBlank},
	}
	for _, tt := range tests {
		if got := resolveType(tt.base, tt.typ); got != tt.want {
			t.Errorf("resolveType(%q, %q) = %q, want %q", tt.base, tt.typ, got, tt.want)
		}
	}
}

var errNoCredit = errors.New("billing: out of credit")

func TestCatalogFromSentinels(t *testing.T) {
	c := mustCatalog("")
	outOfCredit := MustDefine("billing/out-of-credit", 403, "Out of credit")
	if err := c.Map(errNoCredit, outOfCredit); err != nil {
		t.Fatal(err)
	}
	if err := c.Map(errors.New("x"), MustDefine("billing/out-of-credit", 402, "clash")); !errors.Is(err, ErrDuplicateCode) {
		t.Fatalf("Map with a clashing definition: %v", err)
	}
	p := c.From(fmt.Errorf("charge: %w", errNoCredit))
	if !errors.Is(p, outOfCredit) || p.Status != 403 || !errors.Is(p, errNoCredit) {
		t.Fatalf("From(sentinel) = %v", p)
	}
	if p.Detail != "" {
		t.Fatalf("a mapped sentinel leaked its text: %q", p.Detail)
	}
	if got := c.From(errors.New("other")); !errors.Is(got, InternalError) {
		t.Fatalf("unmapped error = %v", got)
	}
	if c.From(nil) != nil {
		t.Fatal("From(nil) != nil")
	}
}

func TestCatalogConcurrentUse(t *testing.T) {
	c := mustCatalog("https://x/")
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d := MustDefine(fmt.Sprintf("c%d/x", i), 400, "")
			if err := c.Register(d); err != nil {
				t.Error(err)
			}
			if err := c.Map(fmt.Errorf("e%d", i), d); err != nil {
				t.Error(err)
			}
			_ = c.From(errors.New("x"))
			_, _ = c.Lookup("c0/x")
			_ = c.Definitions()
		}()
	}
	wg.Wait()
	if n := len(c.Definitions()); n != len(standard())+16 {
		t.Fatalf("%d definitions, want %d", n, len(standard())+16)
	}
}
