package problem

import (
	"github.com/apikit-go/apikit/internal/jsonw"

	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestAppendJSON(t *testing.T) {
	tests := []struct {
		name string
		p    *Problem
		base string
		want string
	}{
		{
			name: "validation with fields and extensions",
			p: ValidationFailed.New("There were some problems with your input.").
				WithInstance("/patients/123").
				WithFields(FieldError{Field: "family_name", Message: "Family name is required", Code: FieldValidationError}).
				WithExtension("requestId", "req_1").
				WithExtension("attempt", 2).
				WithExtension("detail", "collides and is dropped"),
			base: "https://parchment.health/errors/",
			want: `{"type":"https://parchment.health/errors/validation-error","title":"Validation failed","status":422,` +
				`"detail":"There were some problems with your input.","instance":"/patients/123","code":"validation/failed",` +
				`"errors":[{"field":"family_name","message":"Family name is required","code":"VALIDATION_ERROR"}],` +
				`"attempt":2,"requestId":"req_1"}`,
		},
		{
			name: "no type means about:blank and the status phrase",
			p:    &Problem{Status: 404},
			want: `{"type":"about:blank","title":"Not Found","status":404}`,
		},
		{
			name: "relative type without base",
			p:    patientNotFound.New("x"),
			want: `{"type":"about:blank","title":"Patient not found","status":404,"detail":"x","code":"patients/not-found"}`,
		},
		{
			name: "invalid status becomes 500",
			p:    &Problem{Status: 200, Title: "odd"},
			want: `{"type":"about:blank","title":"odd","status":500}`,
		},
		{
			name: "escaping like encoding/json",
			p:    &Problem{Status: 400, Detail: "<b>\"quoted\"</b>\n\u2028\xff"},
			want: `{"type":"about:blank","title":"Bad Request","status":400,"detail":"<b>\"quoted\"</b>\n\u2028\ufffd"}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := appendJSONBase(tt.p, nil, tt.base)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Fatalf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatal("invalid JSON")
			}
		})
	}
}

func TestAppendJSONExtensionError(t *testing.T) {
	p := InvalidRequest.New("x").WithExtension("bad", make(chan int))
	if _, err := p.AppendJSON(nil); err == nil {
		t.Fatal("an unencodable extension gave no error")
	}
}

func TestJSONRoundTrip(t *testing.T) {
	in := ValidationFailed.New("d").WithInstance("/i").
		WithFields(FieldError{Field: "f", Message: "m", Code: FieldInvalidFormat}).
		WithExtension("n", 1.5).WithExtension("list", []any{"a", true})
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Problem
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	want := *in
	want.Type = aboutBlank // no base URI: the relative type is not rendered
	if diff := cmp.Diff(&want, &out, cmpopts.IgnoreUnexported(Problem{})); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestUnmarshalTolerant(t *testing.T) {
	body := `{"type":42,"title":"T","status":"400","detail":["x"],"instance":"/i","code":"a/b",
		"errors":[{"pointer":"#/age","detail":"must be positive"},{"field":1},"junk"],"balance":30,"accounts":["/a"]}`
	var p Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatal(err)
	}
	want := Problem{
		Title: "T", Instance: "/i", Code: "a/b",
		Fields:     []FieldError{{Field: "#/age", Message: "must be positive"}},
		Extensions: map[string]any{"balance": 30.0, "accounts": []any{"/a"}},
	}
	if diff := cmp.Diff(want, p, cmpopts.IgnoreUnexported(Problem{})); diff != "" {
		t.Fatalf("(-want +got):\n%s", diff)
	}
	if err := json.Unmarshal([]byte(`[1,2]`), &p); err == nil {
		t.Fatal("a JSON array was accepted as a problem")
	}
}

// FuzzAppendJSON checks that any strings give valid JSON that decodes back
// to the same text (after UTF-8 repair) and members.
func FuzzAppendJSON(f *testing.F) {
	f.Add("title", "detail <>&", "/x", "ext", "v")
	f.Add("", "\xff\x00\u2028", "", "type", "")
	f.Fuzz(func(t *testing.T, title, detail, instance, extName, extVal string) {
		p := (&Problem{Status: 422, Title: title, Detail: detail, Instance: instance}).WithExtension(extName, extVal)
		b, err := p.AppendJSON(nil)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("invalid JSON %q: %v", b, err)
		}
		if m["status"] != 422.0 {
			t.Fatalf("status = %v", m["status"])
		}
		// A detail over the echo bound comes back cut (marked with "…").
		if want := viaJSON(jsonw.Cut(detail, maxDetail)); detail != "" && m["detail"] != want {
			t.Fatalf("detail %q came back as %q, want %q", detail, m["detail"], want)
		}
		if reserved(extName) && extName != "detail" && extName != "title" && extName != "instance" {
			return
		}
		if !reserved(extName) && m[viaJSON(extName)] != viaJSON(extVal) {
			t.Fatalf("extension %q = %q, want %q", extName, m[viaJSON(extName)], extVal)
		}
	})
}

// viaJSON returns s as encoding/json round-trips it (invalid UTF-8 bytes
// become U+FFFD one by one).
func viaJSON(s string) string {
	b, _ := json.Marshal(s)
	var out string
	_ = json.Unmarshal(b, &out)
	return out
}
