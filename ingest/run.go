package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/store"
	"github.com/ontohub/ontohub/validate"
)

// Options tune Run.
type Options struct {
	// Commit is the --commit flag: "" to ask git.
	Commit string
	// Limits bound what is read from the checkout.
	Limits checkout.Limits
}

// Result is what Run did.
type Result struct {
	store.IngestResult
	CommitSHA *string
}

// Run loads the checkout in dir, validates it, writes it with its findings to the database as
// one new generation and prints what changed to out. Nothing is written when the checkout has
// a problem (see Load); rule findings are stored, never a reason to refuse it.
func Run(ctx context.Context, st *store.Store, dir string, opts Options, out io.Writer) (Result, error) {
	in, co, err := Load(dir, opts.Limits)
	if err != nil {
		return Result{}, err
	}
	if in.CommitSHA, err = CommitSHA(ctx, dir, opts.Commit); err != nil {
		return Result{}, err
	}
	if in.Findings, err = Findings(co); err != nil {
		return Result{}, err
	}
	written, err := st.Ingest(ctx, in)
	if err != nil {
		return Result{}, fmt.Errorf("ingest: %w", err)
	}
	result := Result{IngestResult: written, CommitSHA: in.CommitSHA}
	if err := printSummary(out, dir, result); err != nil {
		return result, fmt.Errorf("ingest: print summary: %w", err)
	}
	return result, nil
}

// printSummary writes an aligned table of the counts per kind.
func printSummary(out io.Writer, dir string, r Result) error {
	commit := "unknown (not a git checkout and no --commit)"
	if r.CommitSHA != nil {
		commit = *r.CommitSHA
	}
	if _, err := fmt.Fprintf(out, "ingested %s at commit %s (generation %d)\n\n", dir, commit, r.Generation); err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "kind\tadded\tupdated\tunchanged\tdeleted")
	for _, kind := range store.Kinds {
		c := r.Summary[kind]
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\n", kind, c.Added, c.Updated, c.Unchanged, c.Deleted)
	}
	return w.Flush()
}

// Findings validates a checkout and returns its findings as the JSON array stored with the ingest.
func Findings(co *checkout.Checkout) ([]byte, error) {
	o, err := validate.Prepare(validate.FromCheckout(co))
	if err != nil {
		return nil, fmt.Errorf("ingest: validate: %w", err)
	}
	list := o.Findings()
	if list == nil {
		list = []validate.Finding{}
	}
	findings, err := json.Marshal(list)
	if err != nil {
		return nil, fmt.Errorf("ingest: encode findings: %w", err)
	}
	return findings, nil
}
