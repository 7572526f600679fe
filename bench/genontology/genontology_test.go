package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleSchemas is the sample checkout whose _schema.json files the generator copies.
const sampleSchemas = "../../ingest/testdata/samples/labki-schemas"

// writeSmall writes a generated checkout of n categories into a fresh folder.
func writeSmall(t *testing.T, n int, seed uint64) (string, *ontology) {
	t.Helper()
	dir := t.TempDir()
	o := generate(n, seed)
	if err := writeCheckout(o.files(), dir, sampleSchemas); err != nil {
		t.Fatal(err)
	}
	return dir, o
}

func TestGeneratedCheckoutIsValid(t *testing.T) {
	for _, n := range []int{10, 400} {
		dir, o := writeSmall(t, n, 7)
		problems, err := checkCheckout(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%d categories: %s", n, p)
		}
		if got := len(o.files()); n >= 400 && (got < 4*n || got > 6*n) {
			t.Errorf("%d categories: %d entities, want about five per category", n, got)
		}
		if len(o.categories) != n {
			t.Errorf("got %d categories, want %d", len(o.categories), n)
		}
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	encodeAll := func(seed uint64) []byte {
		var b bytes.Buffer
		for _, f := range generate(500, seed).files() {
			data, err := encode(f.doc)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(f.folder + "/" + f.id + "\n")
			b.Write(data)
		}
		return b.Bytes()
	}
	if !bytes.Equal(encodeAll(3), encodeAll(3)) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(encodeAll(3), encodeAll(4)) {
		t.Error("different seeds gave the same files")
	}
}

func TestUsedByHasLargeAndSmallAnswers(t *testing.T) {
	o := generate(2000, 1)
	sizes := usedBySizes(o)
	large, small := 0, 0
	for _, s := range sizes {
		switch {
		case s >= 200:
			large++
		case s <= 5:
			small++
		}
	}
	if large == 0 || large > len(sizes)/100 {
		t.Errorf("%d properties are used by 200 categories or more, want a few", large)
	}
	if small < len(sizes)/2 {
		t.Errorf("only %d of %d properties are used by at most 5 categories, want most", small, len(sizes))
	}
	if sizes[0] != len(o.categories) {
		t.Errorf("Has_name is used by %d categories, want all %d (every root requires it)", sizes[0], len(o.categories))
	}
}

// editJSON rewrites one file of dir through edit.
func editJSON(t *testing.T, dir, rel string, edit func(doc map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, filepath.FromSlash(rel))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	edit(doc)
	if data, err = json.Marshal(doc); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// The checker must catch each kind of break, or a valid-looking run proves nothing.
func TestCheckerFindsBrokenRules(t *testing.T) {
	const n = 60
	o := generate(n, 7)
	// A category outside Core, one of its properties, a root and a deep category below it.
	var outside category
	for _, c := range o.categories {
		if c.module != 0 && len(c.optional) > 0 {
			outside = c
			break
		}
	}
	var deep category
	for _, c := range o.categories {
		if c.depth >= 2 && isAncestor(c.ancestors, 0) {
			deep = c
		}
	}
	outsideProperty := o.properties[outside.optional[0]].id
	root := "categories/" + o.categories[0].id + ".json"
	cases := []struct {
		name string
		file string
		edit func(doc map[string]any)
		want string
	}{
		{"empty label", root, func(d map[string]any) { d["label"] = "" }, "/label: shorter than 1"},
		{"unknown member", root, func(d map[string]any) { d["colour"] = "red" }, `member "colour" is not allowed`},
		{"bad datatype", "properties/Has_name.json", func(d map[string]any) { d["datatype"] = "Colour" }, "/datatype"},
		{"id mismatch", root, func(d map[string]any) { d["id"] = "Other" }, "does not match the path"},
		{"missing reference", root, func(d map[string]any) { d["optional_properties"] = []any{"Has_nothing_at_all"} }, "does not exist"},
		{"self reference", root, func(d map[string]any) { d["parents"] = []any{o.categories[0].id} }, "names itself"},
		{"cycle", root, func(d map[string]any) { d["parents"] = []any{deep.id} }, "closes a cycle"},
		{"overlap", root, func(d map[string]any) { d["optional_properties"] = []any{"Has_name"} }, "is both in required_properties and optional_properties"},
		{"scope", root, func(d map[string]any) { d["optional_properties"] = []any{outsideProperty} }, "outside the scope of module Core"},
		{"orphan", "modules/Core.json", func(d map[string]any) { d["categories"] = d["categories"].([]any)[1:] }, "orphan"},
	}
	// One checkout for all cases (writing files is the slow part): each case breaks one file
	// and puts it back.
	dir, _ := writeSmall(t, n, 7)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, filepath.FromSlash(tc.file))
			original, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if err := os.WriteFile(path, original, 0o644); err != nil {
					t.Fatal(err)
				}
			})
			editJSON(t, dir, tc.file, tc.edit)
			problems, err := checkCheckout(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
				t.Errorf("problems %q, want one containing %q", problems, tc.want)
			}
		})
	}
}

func TestLetters(t *testing.T) {
	for n, want := range map[int]string{1: "a", 2: "b", 26: "z", 27: "aa", 52: "az", 53: "ba", 703: "aaa"} {
		if got := letters(n); got != want {
			t.Errorf("letters(%d) = %q, want %q", n, got, want)
		}
	}
}
