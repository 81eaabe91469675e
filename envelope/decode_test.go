package envelope_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apikit-go/apikit/envelope"
	"github.com/apikit-go/apikit/problem"
)

type address struct {
	Postcode string `json:"postcode"`
}

type newPatient struct {
	FamilyName string    `json:"family_name"`
	Age        uint8     `json:"age"`
	Tags       []string  `json:"tags"`
	Address    address   `json:"address"`
	Born       time.Time `json:"born"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name        string
		body        string
		contentType string
		max         int64
		status      int // 0: success
		detailHas   string
		field       string
		fieldCode   string
		notEchoed   string
	}{
		{name: "ok", body: `{"family_name":"Smith","age":42,"address":{"postcode":"2000"}}`},
		{name: "ok with charset and trailing space", body: "{\"age\":1}\n  ", contentType: "application/json; charset=utf-8"},
		{name: "vendor json type", body: `{}`, contentType: "application/vnd.api+json"},
		{name: "not json media type", body: `{}`, contentType: "text/plain", status: 415},
		{name: "bad media type", body: `{}`, contentType: ";;;", status: 415},
		{name: "empty", body: "", status: 400, detailHas: "empty"},
		{name: "whitespace only", body: "  \n", status: 400, detailHas: "empty"},
		{name: "too large", body: `{"family_name":"` + strings.Repeat("x", 100) + `"}`, max: 64, status: 413},
		{name: "malformed", body: `{"family_name": SECRET}`, status: 400, detailHas: "byte offset 16", notEchoed: "SECRET"},
		{name: "truncated", body: `{"family_name":"Sm`, status: 400, detailHas: "ends unexpectedly at byte offset 18"},
		{name: "trailing data", body: `{"age":1} {"age":2}`, status: 400, detailHas: "after the JSON value at byte offset 10"},
		{name: "wrong type", body: `{"family_name":12345}`, status: 422, field: "family_name", fieldCode: problem.FieldInvalidType, notEchoed: "12345"},
		{name: "nested wrong type", body: `{"address":{"postcode":20001}}`, status: 422, field: "address.postcode", fieldCode: problem.FieldInvalidType, notEchoed: "20001"},
		{name: "out of range", body: `{"age":300}`, status: 422, field: "age", fieldCode: problem.FieldInvalidType, notEchoed: "300"},
		{name: "array of wrong type", body: `{"tags":[1]}`, status: 422, field: "tags", fieldCode: problem.FieldInvalidType},
		{name: "unknown field", body: `{"family_name":"Smith","nickname":"Smithy"}`, status: 422, field: "nickname", fieldCode: problem.FieldUnknownField, notEchoed: "Smithy"},
		{name: "not an object", body: `[1,2]`, status: 422, field: "$", fieldCode: problem.FieldInvalidType},
		{name: "bad time", body: `{"born":"yesterday-ish"}`, status: 422, notEchoed: "yesterday"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/patients", strings.NewReader(tc.body))
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			var opts []envelope.Option
			if tc.max > 0 {
				opts = append(opts, envelope.WithMaxBodyBytes(tc.max))
			}
			_, err := envelope.Decode[newPatient](req, opts...)
			if tc.status == 0 {
				if err != nil {
					t.Fatalf("Decode: %v", err)
				}
				return
			}
			var p *problem.Problem
			if !errors.As(err, &p) {
				t.Fatalf("err = %v, want a *problem.Problem", err)
			}
			if p.Status != tc.status {
				t.Errorf("status = %d, want %d (%s)", p.Status, tc.status, p.Detail)
			}
			if !strings.Contains(p.Detail, tc.detailHas) {
				t.Errorf("detail = %q, want it to contain %q", p.Detail, tc.detailHas)
			}
			if tc.field != "" {
				if len(p.Fields) != 1 || p.Fields[0].Field != tc.field || p.Fields[0].Code != tc.fieldCode {
					t.Errorf("fields = %+v, want %s %s", p.Fields, tc.field, tc.fieldCode)
				}
			}
			rendered, _ := json.Marshal(p)
			if tc.notEchoed != "" && strings.Contains(string(rendered), tc.notEchoed) {
				t.Errorf("problem echoes the submitted value %q: %s", tc.notEchoed, rendered)
			}
		})
	}
}

func TestDecodeRecordsAckRequestID(t *testing.T) {
	wr, _ := newTestWriter(envelope.Ack())
	tests := []struct {
		name string
		body string
		want string
	}{
		{"decoded", `{"metadata":{"requestID":"phil_9"},"drug":"x"}`, `"requestID":"phil_9"`},
		{"rejected but valid JSON", `{"metadata":{"requestID":"phil_9"},"unknown":1}`, `"requestID":"phil_9"`},
		{"malformed", `{"metadata":`, `"requestID":null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			wr.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, err := envelope.Decode[prescription](r); err != nil {
					wr.WriteError(w, r, err)
					return
				}
				wr.OK(w, r, envelope.Acknowledgement{ReferenceID: "ref"})
			})).ServeHTTP(rec, httptest.NewRequest("POST", "/", strings.NewReader(tc.body)))
			if !strings.HasPrefix(rec.Body.String(), "{"+tc.want) {
				t.Errorf("body = %s, want it to start with %s", rec.Body, tc.want)
			}
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"family_name":"a","age":1}`, `{"address":{"postcode":1}}`, `[`, `{"x":1}`, `{} {}`, `"s"`, `null`, ``, `{"born":"2020-01-01T00:00:00Z"}`, "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		_, err := envelope.Decode[newPatient](req, envelope.WithMaxBodyBytes(4096))
		if err == nil {
			return
		}
		var p *problem.Problem
		if !errors.As(err, &p) {
			t.Fatalf("err %v is not a problem", err)
		}
		if p.Status < 400 || p.Status > 499 {
			t.Fatalf("status %d for client input %q", p.Status, body)
		}
	})
}

func TestDecodeStrictDuplicatesAndUTF8(t *testing.T) {
	many := `{`
	for i := range 40 {
		many += `"k` + strings.Repeat("x", i) + `":1,`
	}
	tests := []struct {
		name  string
		body  string
		field string // "" means accepted
		code  string
	}{
		{"duplicate at the top", `{"family_name":"a","family_name":"b"}`, "family_name", problem.FieldDuplicateField},
		{"duplicate nested", `{"address":{"postcode":"1","postcode":"2"}}`, "address.postcode", problem.FieldDuplicateField},
		{"duplicate in an array element", `{"items":[{"a":1},{"b":1,"b":2}]}`, "items[1].b", problem.FieldDuplicateField},
		{"duplicate by escape", `{"a":1,"\u0061":2}`, "a", problem.FieldDuplicateField},
		{"duplicate among many members", many + `"z":1,"kxx":2}`, "kxx", problem.FieldDuplicateField},
		{"same key in sibling objects", `{"x":{"a":1},"y":{"a":1}}`, "", ""},
		{"same key at two depths", `{"a":{"a":{"a":1}}}`, "", ""},
		{"many distinct members", many + `"z":1}`, "", ""},
		{"invalid UTF-8 in a value", "{\"address\":{\"postcode\":\"20\xff0\"}}", "address.postcode", problem.FieldInvalidFormat},
		{"invalid UTF-8 in an array", "{\"tags\":[\"ok\",\"\xc3\"]}", "tags[1]", problem.FieldInvalidFormat},
		{"invalid UTF-8 in a key", "{\"ok\":1,\"b\xffd\":1}", "b\ufffdd", problem.FieldInvalidFormat},
		{"invalid UTF-8 at the root", "\"\xff\"", "$", problem.FieldInvalidFormat},
		{"valid UTF-8", `{"family_name":"Müller ✓"}`, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var v map[string]any
			req := httptest.NewRequest("POST", "/", strings.NewReader(tc.body))
			v, err := envelope.Decode[map[string]any](req)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var p *problem.Problem
			if !errors.As(err, &p) || p.Status != 400 || len(p.Fields) != 1 {
				t.Fatalf("err = %v (decoded %v), want a 400 naming %q", err, v, tc.field)
			}
			got := p.Fields[0]
			if got.Field != tc.field && strings.ToValidUTF8(got.Field, "\ufffd") != tc.field || got.Code != tc.code {
				t.Errorf("field = %+v, want %q %s", got, tc.field, tc.code)
			}
		})
	}
}

func TestDecodeDeepNestingIsRefusedNotCrashing(t *testing.T) {
	deep := strings.Repeat("[", 200000) + strings.Repeat("]", 200000)
	_, err := envelope.Decode[any](httptest.NewRequest("POST", "/", strings.NewReader(deep)))
	var p *problem.Problem
	if !errors.As(err, &p) || p.Status >= 500 {
		t.Fatalf("err = %v, want a 4xx problem", err)
	}
}
