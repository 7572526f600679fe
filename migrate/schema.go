package migrate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strings"

	atlasmigrate "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/postgres"
	"ariga.io/atlas/sql/schema"
)

// managedSchema is the only schema schema.hcl describes and SchemaApply touches; the
// revision table's schema stays out of the comparison.
const managedSchema = "public"

// SchemaApply brings the database's public schema to the state hcl describes without
// migration files: it prints the SQL plan to out and, unless dryRun, runs it in one
// transaction. A plan that drops anything (schema, table, column, index, enum, …) is
// refused with an error naming the drops, and nothing applied, unless allowDestructive.
// hcl is normalized on a dev database: devURL when set, otherwise a scratch database
// on the server of databaseURL.
func SchemaApply(ctx context.Context, databaseURL, devURL string, hcl []byte, dryRun, allowDestructive bool, out io.Writer) error {
	desired, err := normalizedHCL(ctx, databaseURL, devURL, hcl)
	if err != nil {
		return err
	}
	db, err := openURL(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	drv, err := postgres.Open(db)
	if err != nil {
		return fmt.Errorf("migrate: schema apply: %w", err)
	}
	// Inspect under the lock so the plan still holds when it runs.
	unlock, err := lock(ctx, drv)
	if err != nil {
		return err
	}
	defer unlock()
	current, err := drv.InspectRealm(ctx, &schema.InspectRealmOption{Schemas: []string{managedSchema}})
	if err != nil {
		return fmt.Errorf("migrate: schema apply: inspect database: %w", err)
	}
	changes, err := drv.RealmDiff(current, desired)
	if err != nil {
		return fmt.Errorf("migrate: schema apply: %w", err)
	}
	if len(changes) == 0 {
		_, err := fmt.Fprintln(out, "no changes: the database matches schema.hcl")
		return err
	}
	plan, err := drv.PlanChanges(ctx, "schema_apply", changes, func(o *atlasmigrate.PlanOptions) {
		o.Indent = "  "
	})
	if err != nil {
		return fmt.Errorf("migrate: schema apply: plan: %w", err)
	}
	if err := printPlan(out, plan); err != nil {
		return err
	}
	drops := destructive(changes)
	switch {
	case dryRun:
		if len(drops) > 0 && !allowDestructive {
			_, err := fmt.Fprintf(out, "-- dry run; applying needs --allow-destructive, the plan drops %s\n", strings.Join(drops, ", "))
			return err
		}
		_, err := fmt.Fprintln(out, "-- dry run; nothing applied")
		return err
	case len(drops) > 0 && !allowDestructive:
		return fmt.Errorf("migrate: schema apply: refusing to drop %s; nothing applied (rerun with --allow-destructive)", strings.Join(drops, ", "))
	}
	if err := runPlan(ctx, db, plan); err != nil {
		return err
	}
	if n := len(plan.Changes); n == 1 {
		_, err = fmt.Fprintln(out, "applied 1 statement")
	} else {
		_, err = fmt.Fprintf(out, "applied %d statements\n", n)
	}
	return err
}

// normalizedHCL parses hcl and normalizes it on a dev database (see devDatabase).
func normalizedHCL(ctx context.Context, databaseURL, devURL string, hcl []byte) (*schema.Realm, error) {
	desired, err := parseHCL(hcl)
	if err != nil {
		return nil, err
	}
	err = devDatabase(ctx, databaseURL, devURL, func(dev *sql.DB) error {
		drv, err := postgres.Open(dev)
		if err != nil {
			return fmt.Errorf("migrate: dev database: %w", err)
		}
		desired, err = normalize(ctx, drv, desired)
		return err
	})
	if err != nil {
		return nil, err
	}
	return desired, nil
}

// printPlan writes the plan as SQL, one commented statement after the other.
func printPlan(out io.Writer, plan *atlasmigrate.Plan) error {
	var b strings.Builder
	for _, c := range plan.Changes {
		if c.Comment != "" {
			fmt.Fprintf(&b, "-- %s\n", c.Comment)
		}
		fmt.Fprintf(&b, "%s;\n", c.Cmd)
	}
	_, err := io.WriteString(out, b.String())
	return err
}

// runPlan executes the plan in one transaction: PostgreSQL DDL is transactional, so a
// failing statement leaves the database as it was.
func runPlan(ctx context.Context, db *sql.DB, plan *atlasmigrate.Plan) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: schema apply: %w", err)
	}
	for _, c := range plan.Changes {
		if _, err := tx.ExecContext(ctx, c.Cmd, c.Args...); err != nil {
			return errors.Join(fmt.Errorf("migrate: schema apply: statement %q: %w", c.Cmd, err), tx.Rollback())
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: schema apply: commit: %w", err)
	}
	return nil
}

// destructive names what changes would drop, in order; empty when nothing is dropped.
func destructive(changes []schema.Change) []string {
	var drops []string
	for _, c := range changes {
		switch c := c.(type) {
		case *schema.DropSchema:
			drops = append(drops, fmt.Sprintf("schema %q", c.S.Name))
		case *schema.DropTable:
			drops = append(drops, fmt.Sprintf("table %q", c.T.Name))
		case *schema.DropView:
			drops = append(drops, fmt.Sprintf("view %q", c.V.Name))
		case *schema.DropFunc:
			drops = append(drops, fmt.Sprintf("function %q", c.F.Name))
		case *schema.DropProc:
			drops = append(drops, fmt.Sprintf("procedure %q", c.P.Name))
		case *schema.DropTrigger:
			drops = append(drops, fmt.Sprintf("trigger %q", c.T.Name))
		case *schema.DropObject:
			drops = append(drops, objectName(c.O))
		case *schema.ModifyTable:
			drops = append(drops, tableDrops(c.T.Name, c.Changes)...)
		}
	}
	return drops
}

// tableDrops names what the changes of one table would drop.
func tableDrops(table string, changes []schema.Change) []string {
	var drops []string
	for _, c := range changes {
		switch c := c.(type) {
		case *schema.DropColumn:
			drops = append(drops, fmt.Sprintf("column %q.%q", table, c.C.Name))
		case *schema.DropIndex:
			drops = append(drops, fmt.Sprintf("index %q", c.I.Name))
		case *schema.DropPrimaryKey:
			drops = append(drops, fmt.Sprintf("primary key of %q", table))
		case *schema.DropForeignKey:
			drops = append(drops, fmt.Sprintf("foreign key %q", c.F.Symbol))
		case *schema.DropCheck:
			drops = append(drops, fmt.Sprintf("check %q", c.C.Name))
		}
	}
	return drops
}

// objectName names a schema object such as an enum type.
func objectName(o schema.Object) string {
	if e, ok := o.(*schema.EnumType); ok {
		return fmt.Sprintf("enum %q", e.T)
	}
	return fmt.Sprintf("%T", o)
}
