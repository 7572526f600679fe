// Command genontology writes a synthetic schema-repository checkout in the newest layout
// (categories, properties, subobjects, templates, modules, bundles, dashboards, resources) for
// load tests: about five entities per category, deterministic for a seed, valid by the rules the
// schema repositories enforce (each kind's _schema.json, references that resolve, no cycles, no
// required/optional overlap, module scope, no orphans).
//
//	go run ./bench/genontology -categories 5000 -out DIR [-seed 1] [-manifest FILE]
//
// It prints what it made: counts, the shape of the category graph and how large the used-by
// answers of the properties are. Before it exits it reads the checkout back and checks it.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"time"
)

// config is the command line.
type config struct {
	categories int
	seed       uint64
	out        string
	schemas    string
	manifest   string
	check      bool
}

func main() {
	var cfg config
	flag.IntVar(&cfg.categories, "categories", 5000, "number of categories (at least 10); the ontology has about five entities per category")
	flag.Uint64Var(&cfg.seed, "seed", 1, "random seed: the same seed and size give the same files")
	flag.StringVar(&cfg.out, "out", "", "`DIR` to write the checkout to; must be missing or empty")
	flag.StringVar(&cfg.schemas, "schemas", "ingest/testdata/samples/labki-schemas", "sample checkout `DIR` whose VERSION and _schema.json files are copied")
	flag.StringVar(&cfg.manifest, "manifest", "", "also write `FILE`: one line per entity, kind<TAB>id<TAB>label")
	flag.BoolVar(&cfg.check, "check", true, "read the checkout back and check it against the rules")
	flag.Parse()
	if err := run(cfg, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "genontology:", err)
		os.Exit(1)
	}
}

func run(cfg config, out io.Writer) error {
	switch {
	case cfg.out == "":
		return errors.New("-out DIR is required")
	case cfg.categories < 10:
		return errors.New("-categories must be at least 10")
	case flag.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", flag.Arg(0))
	}
	start := time.Now()
	o := generate(cfg.categories, cfg.seed)
	files := o.files()
	if err := writeCheckout(files, cfg.out, cfg.schemas); err != nil {
		return err
	}
	if cfg.manifest != "" {
		if err := writeManifest(files, cfg.manifest); err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "wrote %d entity files to %s in %s (seed %d)\n\n", len(files), cfg.out, time.Since(start).Round(time.Millisecond), cfg.seed)
	report(out, o)
	if !cfg.check {
		return nil
	}
	start = time.Now()
	problems, err := checkCheckout(cfg.out)
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		for i, p := range problems {
			if i == 20 {
				fmt.Fprintf(out, "  ... and %d more\n", len(problems)-20)
				break
			}
			fmt.Fprintf(out, "  %s\n", p)
		}
		return fmt.Errorf("the checkout in %s breaks %d rules", cfg.out, len(problems))
	}
	fmt.Fprintf(out, "\nchecked: every file satisfies its kind's _schema.json, every reference resolves within its module's scope, no cycles, no overlaps, no orphans (%s)\n",
		time.Since(start).Round(time.Millisecond))
	return nil
}

// generate builds an ontology of n categories from seed.
func generate(n int, seed uint64) *ontology {
	g := &generator{rng: rand.New(rand.NewPCG(seed, 0x6f6e746f687562)), o: &ontology{}, taken: map[string]bool{}}
	s := sizesFor(n)
	g.buildModules(s)
	g.buildCategories(s)
	g.describeModules()
	g.buildTemplates(s)
	g.buildProperties(s)
	g.buildSubobjects(s)
	g.assignProperties()
	g.assignSubobjects()
	g.useEverything()
	g.buildResources(s)
	g.buildDashboards(s)
	g.buildBundles(s)
	return g.o
}
