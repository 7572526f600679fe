package gitrepo

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderJSONWritesFilesAsTheRepositoryDoes renders every entity file of the samples from
// its compacted JSON (as a store would hand it over) and expects the file byte for byte.
func TestRenderJSONWritesFilesAsTheRepositoryDoes(t *testing.T) {
	n := 0
	err := filepath.WalkDir("../ingest/testdata/samples", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") || strings.Contains(path, "schema") || strings.Contains(path, "/versions/") {
			return err
		}
		file, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, file); err != nil {
			return err
		}
		for name, original := range map[string][]byte{"new": nil, "unchanged": file} {
			got, err := RenderJSON(compact.Bytes(), original)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if !bytes.Equal(got, file) {
				t.Errorf("%s (%s): rendered\n%s\nwant\n%s", path, name, got, file)
			}
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 30 {
		t.Fatalf("only %d sample files rendered", n)
	}
}

func TestRenderJSONKeepsTheOriginalWhereItCan(t *testing.T) {
	original := []byte(`{
  "id": "Core",
  "label": "Core Module",
  "categories": [
    "Agent"
  ],
  "nested": {"b": 1, "a": "\u00e9"},
  "gone": true,
  "properties": ["Has_name", "Has_email"]
}
`)
	// The draft's entity: label changed, a member removed, two added, members in another order,
	// the unchanged nested object and categories array re-encoded.
	entity := []byte(`{"zeta":1,"properties":["Has_name","Has_email","Has_phone"],"categories":["Agent"],` +
		`"nested":{"a":"é","b":1.0},"id":"Core","label":"Core","alpha":{"list":[]}}`)
	want := `{
  "id": "Core",
  "label": "Core",
  "categories": [
    "Agent"
  ],
  "nested": {"b": 1, "a": "\u00e9"},
  "properties": ["Has_name", "Has_email", "Has_phone"],
  "zeta": 1,
  "alpha": {
    "list": []
  }
}
`
	got, err := RenderJSON(entity, original)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Errorf("rendered\n%s\nwant\n%s", got, want)
	}

	long := []byte(`{"properties":["Has_name","Has_description","Has_email","Has_website","Has_street","Has_city"],"pages":[{"name":"","x":[1,2]}]}`)
	want = `{
  "properties": [
    "Has_name",
    "Has_description",
    "Has_email",
    "Has_website",
    "Has_street",
    "Has_city"
  ],
  "pages": [
    {
      "name": "",
      "x": [1, 2]
    }
  ]
}
`
	if got, err := RenderJSON(long, nil); err != nil || string(got) != want {
		t.Errorf("rendered\n%s\nwant\n%s (%v)", got, want, err)
	}
	if _, err := RenderJSON([]byte(`{"a":`), nil); err == nil {
		t.Error("RenderJSON of broken JSON succeeded")
	}
	// A base file that does not parse does not stop the new content.
	if got, err := RenderJSON([]byte(`{"a":1}`), []byte(`{"a":`)); err != nil || string(got) != "{\n  \"a\": 1\n}\n" {
		t.Errorf("over a broken original: %q %v", got, err)
	}
}

func TestEntityFile(t *testing.T) {
	before := []byte("{\n  \"id\": \"A\",\n  \"label\": \"A\"\n}\n")
	got, err := EntityFile("categories/A.json", before, []byte(`{"label":"B","id":"A"}`))
	if err != nil || string(got.After) != "{\n  \"id\": \"A\",\n  \"label\": \"B\"\n}\n" || string(got.Before) != string(before) {
		t.Fatalf("update: %+v %v", got, err)
	}
	if got, err := EntityFile("categories/A.json", before, nil); err != nil || got.After != nil {
		t.Fatalf("delete: %+v %v", got, err)
	}
	if _, err := EntityFile("categories/A.json", nil, []byte("{")); err == nil {
		t.Fatal("broken entity accepted")
	}
}
