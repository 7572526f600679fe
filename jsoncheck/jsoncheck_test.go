package jsoncheck

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestCheckAccepts(t *testing.T) {
	for _, doc := range []string{
		`{}`, `[]`, `"x"`, `0`, `-0.0`, `0e10`, `1.5e300`, `-1.7976931348623157e308`, `4.9e-324`,
		`9223372036854775807`, `18446744073709551616`, `true`, `null`,
		` {"a": [1, 2, {"b": null}], "c": "\u00e9\ud83d\ude00\n"} `,
		`{"a": 1, "A": 2}`,
		`"\u0061"`,
	} {
		if err := Check([]byte(doc), Limits{}); err != nil {
			t.Errorf("Check(%s) = %v, want nil", doc, err)
		}
	}
}

func TestCheckRefuses(t *testing.T) {
	deep := strings.Repeat("[", 65) + strings.Repeat("]", 65)
	for _, tc := range []struct {
		doc, pointer, reason string
	}{
		{`{"payload":{}}xyz`, "", "unexpected data after"},
		{`{"a":1}{"b":2}`, "", "unexpected data after"},
		{"\"\xff\"", "", "invalid UTF-8"},
		{`{"k":"\ud800"}`, "/k", "lone UTF-16 surrogate"},
		{`{"k":"\udc00\ud800"}`, "/k", "lone UTF-16 surrogate"},
		{`{"k":"\ud800\u0041"}`, "/k", "lone UTF-16 surrogate"},
		{`{"k":"\u0000"}`, "/k", "NUL"},
		{`{"a":1,"a":2}`, "", "duplicate object key"},
		{`{"a":1,"\u0061":2}`, "", "duplicate object key"},
		{`{"payload":[1,1e131071]}`, "/payload/1", "outside the range"},
		{`[1e-16384]`, "/0", "outside the range"},
		{`[-1e400]`, "/0", "outside the range"},
		{`[` + strings.Repeat("1", 65) + `]`, "/0", "longer than 64"},
		{`[01]`, "/0", "expected ',' or ']'"},
		{`[1.]`, "/0", "digits expected"},
		{deep, "/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0/0", "nested deeper"},
		{`{"a/b~":{"x":"\t` + "\x01" + `"}}`, "/a~1b~0/x", "control character"},
		{``, "", "empty"},
		{`tru`, "", "invalid literal"},
		{`{"a" 1}`, "", "expected ':'"},
	} {
		err := Check([]byte(tc.doc), Limits{})
		var e *Error
		if !errors.As(err, &e) {
			t.Errorf("Check(%.40s) = %v, want *Error", tc.doc, err)
			continue
		}
		if e.Pointer != tc.pointer || !strings.Contains(e.Reason, tc.reason) {
			t.Errorf("Check(%.40s) = pointer %q reason %q, want %q and %q", tc.doc, e.Pointer, e.Reason, tc.pointer, tc.reason)
		}
	}
}

func TestCheckAllowNUL(t *testing.T) {
	if err := Check([]byte(`"\u0000"`), Limits{AllowNUL: true}); err != nil {
		t.Fatal(err)
	}
}

// Whatever Check accepts, encoding/json decodes to the same thing twice: the point of the package.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{`{"a":[1,"x",null]}`, `"\ud83d\ude00"`, `1e5`, `{"a":1,"a":2}`} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if Check(data, Limits{}) != nil {
			return
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Fatalf("Check accepted %q, encoding/json refused it: %v", data, err)
		}
	})
}
