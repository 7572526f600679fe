package ingest

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ontohub/ontohub/store"
)

// Run loads and validates the checkout in dir, writes it to the database as
// one snapshot and prints what changed to out. commit is the --commit flag
// ("" to ask git). Nothing is written when the checkout has a problem.
func Run(ctx context.Context, st *store.Store, dir, commit string, out io.Writer) (store.IngestSummary, error) {
	snap, err := Load(dir)
	if err != nil {
		return store.IngestSummary{}, err
	}
	if snap.CommitSHA, err = CommitSHA(ctx, dir, commit); err != nil {
		return store.IngestSummary{}, err
	}
	summary, err := st.ApplySnapshot(ctx, snap)
	if err != nil {
		return store.IngestSummary{}, fmt.Errorf("ingest: %w", err)
	}
	if err := printSummary(out, dir, snap.CommitSHA, summary); err != nil {
		return summary, fmt.Errorf("ingest: print summary: %w", err)
	}
	return summary, nil
}

// printSummary writes an aligned table of the counts per kind.
func printSummary(out io.Writer, dir string, commitSHA *string, summary store.IngestSummary) error {
	commit := "unknown (not a git checkout and no --commit)"
	if commitSHA != nil {
		commit = *commitSHA
	}
	if _, err := fmt.Fprintf(out, "ingested %s at commit %s\n\n", dir, commit); err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "kind\tadded\tupdated\tunchanged\tdeleted")
	rows := []struct {
		kind   string
		counts store.KindSummary
	}{
		{"category", summary.Category},
		{"property", summary.Property},
		{"subobject", summary.Subobject},
		{"module", summary.Module},
		{"profile", summary.Profile},
	}
	for _, r := range rows {
		c := r.counts
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\n", r.kind, c.Added, c.Updated, c.Unchanged, c.Deleted)
	}
	return w.Flush()
}
