package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/ontohub/ontohub/checkout"
	"github.com/ontohub/ontohub/ontology"
	"github.com/ontohub/ontohub/validate"
)

const validateUsage = "usage: ontohub validate DIR [--base DIR] [--format text|json]"

// errInvalid is returned when the ontology has errors: exit code 1, after the report.
var errInvalid = errors.New("validate: the ontology has errors")

// runValidate is the "validate" subcommand: it checks the schema repository checkout in DIR
// against the repository's rules and prints every finding; with --base, also what changed
// since the checkout in that folder and the version bumps it calls for. It needs no
// configuration and no database. Exit code 0 when there is no error (warnings allowed), 1 when
// there is, 2 on a usage error.
func runValidate(args []string, stdout io.Writer) error {
	opts, err := parseValidateArgs(args)
	if errors.Is(err, flag.ErrHelp) {
		_, err := io.WriteString(stdout, commandHelp["validate"])
		return err
	}
	if err != nil {
		return err
	}
	head, err := prepareCheckout(opts.dir)
	if err != nil {
		return err
	}
	var report validate.Report
	if opts.base != "" {
		base, err := prepareCheckout(opts.base)
		if err != nil {
			return err
		}
		report = validate.Compare(base, head)
	} else {
		// Compared with itself: the findings, and no changes.
		report = validate.Compare(head, head)
	}
	if opts.format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(report)
	} else {
		err = writeValidateText(stdout, report)
	}
	if err != nil {
		return err
	}
	if !report.Valid {
		return fmt.Errorf("%w (%s)", errInvalid, countFindings(report.Findings))
	}
	return nil
}

type validateOptions struct {
	dir, base, format string
}

// parseValidateArgs parses "DIR [--base DIR] [--format text|json]", flags before or after DIR.
func parseValidateArgs(args []string) (validateOptions, error) {
	var opts validateOptions
	flags := newFlagSet("validate")
	flags.StringVar(&opts.base, "base", "", "checkout to compare with")
	flags.StringVar(&opts.format, "format", "text", "output format: text or json")
	positional, err := parseFlags(flags, args)
	if errors.Is(err, flag.ErrHelp) {
		return opts, err
	}
	if err != nil {
		return opts, fmt.Errorf("%w: validate: %v (%s)", errUsage, err, validateUsage)
	}
	if opts.format != "text" && opts.format != "json" {
		return opts, fmt.Errorf("%w: validate: --format must be text or json, not %q (%s)", errUsage, opts.format, validateUsage)
	}
	switch len(positional) {
	case 0:
		return opts, fmt.Errorf("%w: validate: missing DIR (%s)", errUsage, validateUsage)
	case 1:
		opts.dir = positional[0]
		return opts, nil
	default:
		return opts, fmt.Errorf("%w: validate: unexpected arguments %q after DIR (%s)", errUsage, positional[1:], validateUsage)
	}
}

// prepareCheckout reads and prepares the checkout in dir. A folder that does not exist or
// holds no kind folder is a usage error (a mistyped path); anything else wrong with the files
// is a finding.
func prepareCheckout(dir string) (*validate.Ontology, error) {
	if err := looksLikeCheckout(dir); err != nil {
		return nil, fmt.Errorf("%w: validate: %v", errUsage, err)
	}
	co, err := checkout.Read(dir, checkout.Limits{})
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	o, err := validate.Prepare(validate.FromCheckout(co))
	if err != nil {
		return nil, fmt.Errorf("validate: %w", err)
	}
	return o, nil
}

// looksLikeCheckout says why dir cannot be a schema repository checkout, if it cannot.
func looksLikeCheckout(dir string) error {
	info, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s does not exist", dir)
	case err != nil:
		return err
	case !info.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	folders := []string{ontology.ProfilesFolder}
	for _, k := range ontology.Kinds {
		folders = append(folders, k.Folder())
	}
	for _, folder := range folders {
		if _, err := os.Lstat(filepath.Join(dir, folder)); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s holds no kind folder (%s/)", dir, strings.Join(folders, "/, "))
}

// writeValidateText prints the report one line per item, for people and grep: findings as
// "FILE:PATH: SEVERITY CODE: MESSAGE" (no ":PATH" for the whole file), then changes, version
// advice and a summary line.
func writeValidateText(w io.Writer, r validate.Report) error {
	var b strings.Builder
	for _, f := range r.Findings {
		where := f.File
		if f.Path != "" {
			where += ":" + f.Path
		}
		if where == "" {
			where = "."
		}
		fmt.Fprintf(&b, "%s: %s %s: %s\n", where, f.Severity, f.Code, f.Message)
	}
	for _, c := range r.Changes {
		fmt.Fprintf(&b, "change %s %s %s: %s (%s)\n", c.ChangeType, c.EntityType, c.EntityID, c.Bump, strings.Join(c.Reasons, "; "))
	}
	for _, v := range r.Versions {
		name := v.Kind
		if v.ID != "" {
			name += " " + v.ID
		}
		current, suggested := v.CurrentVersion, v.SuggestedVersion
		if current == "" {
			current = "(none)"
		}
		if suggested == "" {
			suggested = "(none)"
		}
		fmt.Fprintf(&b, "version %s: %s -> %s (%s: %s)\n", name, current, suggested, v.Bump, strings.Join(v.Reasons, "; "))
	}
	fmt.Fprintf(&b, "%s\n", countFindings(r.Findings))
	_, err := io.WriteString(w, b.String())
	return err
}

// countFindings is the summary line: "N errors, M warnings".
func countFindings(fs []validate.Finding) string {
	errs, warnings := 0, 0
	for _, f := range fs {
		if f.Severity == validate.SeverityError {
			errs++
		} else {
			warnings++
		}
	}
	// Always plural, so that one pattern greps every summary.
	return fmt.Sprintf("%d errors, %d warnings", errs, warnings)
}
