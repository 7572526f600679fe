package migrate

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ontohub/ontohub"
	"github.com/ontohub/ontohub/migrations"
)

func TestSchemaApplyOnMigratedDatabaseHasNoChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := migratedDatabase(t)

	var out strings.Builder
	if err := SchemaApply(ctx, databaseURL, "", ontohub.SchemaHCL, true, false, &out); err != nil {
		t.Fatalf("SchemaApply: %v", err)
	}
	if got := out.String(); got != "no changes: the database matches schema.hcl\n" {
		t.Errorf("SchemaApply printed %q, want that there are no changes", got)
	}
}

func TestSchemaApplyCreatesSchemaOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := newDatabase(t)

	var out strings.Builder
	if err := SchemaApply(ctx, databaseURL, "", ontohub.SchemaHCL, false, false, &out); err != nil {
		t.Fatalf("SchemaApply: %v", err)
	}
	if !strings.Contains(out.String(), `CREATE TABLE "public"."entities"`) {
		t.Errorf("SchemaApply printed no CREATE TABLE for entities:\n%s", out.String())
	}
	out.Reset()
	if err := SchemaApply(ctx, databaseURL, "", ontohub.SchemaHCL, true, false, &out); err != nil {
		t.Fatalf("second SchemaApply: %v", err)
	}
	if !strings.HasPrefix(out.String(), "no changes") {
		t.Errorf("second SchemaApply printed:\n%s", out.String())
	}
}

func TestSchemaApplyRefusesDestructiveChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	databaseURL := migratedDatabase(t)
	db := connect(t, databaseURL)
	if _, err := db.ExecContext(ctx, `ALTER TABLE drafts ADD COLUMN extra text`); err != nil {
		t.Fatal(err)
	}
	hasExtra := func() bool {
		t.Helper()
		return len(queryStrings(t, db, `
SELECT column_name::text FROM information_schema.columns WHERE table_name = 'drafts' AND column_name = 'extra'`)) == 1
	}

	var out strings.Builder
	if err := SchemaApply(ctx, databaseURL, "", ontohub.SchemaHCL, true, false, &out); err != nil {
		t.Fatalf("dry run: %v", err)
	}
	for _, want := range []string{`ALTER TABLE "public"."drafts" DROP COLUMN "extra";`, "--allow-destructive"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry run output lacks %q:\n%s", want, out.String())
		}
	}

	out.Reset()
	err := SchemaApply(ctx, databaseURL, "", ontohub.SchemaHCL, false, false, &out)
	if err == nil || !strings.Contains(err.Error(), `column "drafts"."extra"`) {
		t.Errorf("SchemaApply without allowDestructive: error %v, want a refusal naming the column", err)
	}
	if !hasExtra() {
		t.Fatal("refused SchemaApply dropped the column anyway")
	}

	out.Reset()
	if err := SchemaApply(ctx, databaseURL, "", ontohub.SchemaHCL, false, true, &out); err != nil {
		t.Fatalf("SchemaApply with allowDestructive: %v", err)
	}
	if hasExtra() {
		t.Error("SchemaApply with allowDestructive left the column")
	}
	// Only the public schema is managed: the migration history survives.
	schemas := queryStrings(t, db, `SELECT nspname::text FROM pg_namespace WHERE nspname = 'atlas_schema_revisions'`)
	if diff := cmp.Diff([]string{"atlas_schema_revisions"}, schemas); diff != "" {
		t.Errorf("revision schema after SchemaApply (-want +got):\n%s", diff)
	}
	_, pending, err := Status(ctx, databaseURL, migrations.FS)
	if err != nil || len(pending) != 0 {
		t.Errorf("Status after SchemaApply: pending %v, error %v", pending, err)
	}
}
