package migrate

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub"
	"github.com/ontohub/ontohub/migrations"
)

// TestMigrationsMatchSchema fails when schema.hcl was changed without generating the
// migration for it (`ontohub migrate diff NAME`).
func TestMigrationsMatchSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	desired, err := parseHCL(ontohub.SchemaHCL)
	if err != nil {
		t.Fatal(err)
	}
	err = devDatabase(ctx, testServerURL(), "", func(dev *sql.DB) error {
		plan, _, err := planDir(ctx, dev, fsDir{migrations.FS}, "drift", desired)
		if errors.Is(err, atlasmigrate.ErrNoPlan) {
			return nil
		}
		if err != nil {
			return err
		}
		var b strings.Builder
		printPlan(&b, plan)
		t.Errorf("schema.hcl and migrations/ differ; run `ontohub migrate diff NAME`. Missing migration:\n%s", b.String())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestDiffWritesNextMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := copyMigrations(t)

	file, err := Diff(ctx, testServerURL(), "", dir, "unchanged", ontohub.SchemaHCL)
	if err != nil {
		t.Fatalf("Diff without changes: %v", err)
	}
	if file != "" {
		t.Fatalf("Diff without changes wrote %s", file)
	}

	// A new nullable column and an index on it.
	hcl := bytes.Replace(ontohub.SchemaHCL, []byte(`table "drafts" {`), []byte(`table "drafts" {
  column "reviewer" {
    type = text
    null = true
  }
  index "drafts_reviewer_idx" {
    columns = [column.reviewer]
  }`), 1)
	if bytes.Equal(hcl, ontohub.SchemaHCL) {
		t.Fatal("test did not modify schema.hcl")
	}
	file, err = Diff(ctx, testServerURL(), "", dir, "add_reviewer", hcl)
	if err != nil {
		t.Fatalf("Diff: %v", err)
	}
	if !strings.HasSuffix(file, "_add_reviewer.sql") || filepath.Dir(file) != dir {
		t.Errorf("Diff wrote %q, want DIR/VERSION_add_reviewer.sql", file)
	}
	content, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`ALTER TABLE "public"."drafts" ADD COLUMN "reviewer" text NULL;`,
		`CREATE INDEX "drafts_reviewer_idx" ON "public"."drafts" ("reviewer");`,
	} {
		if !strings.Contains(string(content), want) {
			t.Errorf("new migration lacks %s; it is:\n%s", want, content)
		}
	}
	if strings.Contains(string(content), "DROP") {
		t.Errorf("new migration drops something:\n%s", content)
	}

	// atlas.sum covers the new file, the directory applies, and it now matches hcl.
	if err := validate(fsDir{DirFS(dir)}, dir, false); err != nil {
		t.Errorf("directory after Diff: %v", err)
	}
	databaseURL := newDatabase(t)
	applied, err := Apply(ctx, databaseURL, DirFS(dir))
	if err != nil {
		t.Fatalf("Apply of the new directory: %v", err)
	}
	if len(applied) != len(migrationFiles(t))+1 {
		t.Errorf("Apply applied %v, want the old migrations and the new one", applied)
	}
	columns := queryStrings(t, connect(t, databaseURL), `
SELECT column_name::text FROM information_schema.columns WHERE table_name = 'drafts' AND column_name = 'reviewer'`)
	if diff := cmp.Diff([]string{"reviewer"}, columns); diff != "" {
		t.Errorf("column drafts.reviewer (-want +got):\n%s", diff)
	}
	file, err = Diff(ctx, testServerURL(), "", dir, "again", hcl)
	if err != nil || file != "" {
		t.Errorf("Diff after the new migration = %q, %v; want no file", file, err)
	}
}

func TestDiffUsesDevDatabaseURL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dev := newDatabase(t)
	// The target URL points nowhere: everything must happen on the dev database.
	file, err := Diff(ctx, "postgres://postgres@127.0.0.1:1/none?sslmode=disable", dev, copyMigrations(t), "nothing", ontohub.SchemaHCL)
	if err != nil || file != "" {
		t.Errorf("Diff on DEV_DATABASE_URL = %q, %v; want no file and no error", file, err)
	}
}

func TestDiffRejectsBadInput(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tests := []struct {
		name, dir, migration string
		hcl                  []byte
		want                 string
	}{
		{"bad name", t.TempDir(), "Add Column", ontohub.SchemaHCL, "migration name"},
		{"missing directory", filepath.Join(t.TempDir(), "nowhere"), "x", ontohub.SchemaHCL, "bad migration directory"},
		{"broken hcl", t.TempDir(), "x", []byte(`table "t" {`), "schema.hcl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Diff(ctx, testServerURL(), "", tt.dir, tt.migration, tt.hcl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Diff error = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}
