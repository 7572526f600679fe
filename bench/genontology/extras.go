package main

import (
	"fmt"
	"slices"
	"strings"
)

// buildResources creates resources ("Freezer/Main_freezer") for random categories, one to four
// each, in the category's module, with values for a few of the category's properties.
func (g *generator) buildResources(s sizes) {
	for len(g.o.resources) < s.resources {
		ci := g.rng.IntN(len(g.o.categories))
		for range min(1+g.rng.IntN(4), s.resources-len(g.o.resources)) {
			g.addResource(ci)
		}
	}
}

func (g *generator) addResource(ci int) {
	c := &g.o.categories[ci]
	var name string
	id := g.uniqueName("resource", func() string {
		name = capitalize(pick(g.rng, itemWords)) + "_" + c.head
		return c.id + "/" + name
	})
	r := resource{
		id:          id,
		label:       labelOf(id[len(c.id)+1:]),
		description: fmt.Sprintf("Example %s, ready to copy into a wiki", strings.ToLower(c.label)),
		category:    ci,
		module:      c.module,
	}
	// Values for the category's own properties, then its first parent's: what a filled-in form
	// of the category would hold.
	candidates := slices.Concat(c.required, c.optional)
	if len(c.parents) > 0 {
		parent := g.o.categories[c.parents[0]]
		candidates = append(candidates, slices.Concat(parent.required, parent.optional)...)
	}
	for _, p := range candidates[:min(3, len(candidates))] {
		r.values = append(r.values, field{key: g.o.properties[p].id, value: g.valueFor(g.o.properties[p])})
	}
	m := &g.o.modules[c.module]
	m.resources = append(m.resources, len(g.o.resources))
	g.o.resources = append(g.o.resources, r)
}

// valueFor returns a plausible value of property p.
func (g *generator) valueFor(p property) any {
	var v any
	switch {
	case len(p.allowedValues) > 0:
		v = pick(g.rng, p.allowedValues)
	case p.datatype == "Boolean":
		v = chance(g.rng, 0.5)
	case p.datatype == "Number":
		v = g.rng.IntN(1000)
	case p.datatype == "Quantity", p.datatype == "Temperature":
		unit := ""
		if len(p.units) > 0 {
			unit = " " + p.units[0]
		}
		v = fmt.Sprintf("%d%s", 1+g.rng.IntN(500), unit)
	case p.datatype == "Date":
		v = fmt.Sprintf("20%02d-%02d-%02d", 10+g.rng.IntN(16), 1+g.rng.IntN(12), 1+g.rng.IntN(28))
	case p.datatype == "Page":
		v = g.o.categories[g.rng.IntN(len(g.o.categories))].label
	case p.datatype == "Email":
		v = "contact@example.org"
	case p.datatype == "URL", p.datatype == "Annotation URI":
		v = "https://example.org/" + strings.ToLower(p.id)
	case p.datatype == "Telephone number":
		v = fmt.Sprintf("+49 30 %07d", g.rng.IntN(10_000_000))
	case p.datatype == "Geographic coordinates":
		v = fmt.Sprintf("%.4f, %.4f", 40+g.rng.Float64()*20, g.rng.Float64()*30)
	case p.datatype == "External identifier", p.datatype == "Code":
		v = fmt.Sprintf("ID-%06d", g.rng.IntN(1_000_000))
	default:
		v = "Example " + strings.ToLower(p.label)
	}
	if p.cardinality == "multiple" {
		return []any{v}
	}
	return v
}

// buildDashboards gives Core and random other modules an overview dashboard.
func (g *generator) buildDashboards(s sizes) {
	chosen := []int{0}
	for _, mi := range g.rng.Perm(len(g.o.modules)) {
		if len(chosen) == s.dashboards {
			break
		}
		if mi != 0 {
			chosen = append(chosen, mi)
		}
	}
	slices.Sort(chosen)
	for _, mi := range chosen {
		g.addDashboard(mi)
	}
}

func (g *generator) addDashboard(mi int) {
	m := &g.o.modules[mi]
	id := m.id + "_overview"
	g.take("dashboard", id)
	d := dashboard{
		id:          id,
		label:       m.label + " overview",
		description: fmt.Sprintf("Dashboard for browsing the entities of the %s module and their relationships", strings.ToLower(m.label)),
		module:      mi,
	}
	var b strings.Builder
	fmt.Fprintf(&b, "== %s entities ==\n\nThis dashboard gives an overview of the %s module.\n", m.label, strings.ToLower(m.label))
	for _, ci := range m.categories[:min(3, len(m.categories))] {
		c := g.o.categories[ci]
		fmt.Fprintf(&b, "\n=== %s ===\n{{#ask:\n [[Category:%s]]\n", c.label, c.id)
		for _, p := range slices.Concat(c.required, c.optional)[:min(2, len(c.required)+len(c.optional))] {
			fmt.Fprintf(&b, " |?%s\n", g.o.properties[p].id)
		}
		b.WriteString(" |format=table\n}}\n")
	}
	d.pages = append(d.pages, page{name: "", wikitext: b.String()})
	if chance(g.rng, 0.5) {
		first := g.o.categories[m.categories[0]]
		name := strings.ToLower(first.label)
		d.pages = append(d.pages, page{name: "Setup", wikitext: fmt.Sprintf(
			"== Setup ==\n\n# Install the %s module from Ontology Hub\n# Create the first pages with the forms below\n\n[[Special:FormEdit/%s|Create %s %s]]",
			m.label, first.id, article(name), name)})
	}
	if chance(g.rng, 0.3) {
		d.pages = append(d.pages, page{name: "Statistics", wikitext: fmt.Sprintf(
			"== Statistics ==\n\n{{#ask:\n [[Category:%s]]\n |format=count\n}} pages.", g.o.categories[m.categories[0]].id)})
	}
	m.dashboards = append(m.dashboards, len(g.o.dashboards))
	g.o.dashboards = append(g.o.dashboards, d)
}

// buildBundles creates Default (Core and a few foundation modules) and bundles of one to three
// other modules, each closed under dependencies, with the dashboards of their modules.
func (g *generator) buildBundles(s sizes) {
	for i := range s.bundles {
		var roots []int
		if i == 0 {
			for mi := range min(3, len(g.o.modules)) {
				roots = append(roots, mi)
			}
		} else {
			for range 1 + g.rng.IntN(3) {
				roots = append(roots, 1+g.rng.IntN(len(g.o.modules)-1))
			}
		}
		g.addBundle(i, roots)
	}
}

func (g *generator) addBundle(i int, roots []int) {
	var id string
	if i < len(bundleNames) && g.take("bundle", bundleNames[i]) {
		id = bundleNames[i]
	} else {
		id = g.uniqueName("bundle", func() string {
			return capitalize(strings.ToLower(pick(g.rng, areas))) + "_" + pick(g.rng, []string{"suite", "lab", "kit", "collection", "starter"})
		})
	}
	in := make([]bool, len(g.o.modules))
	for _, r := range roots {
		for _, mi := range g.o.modules[r].scope {
			in[mi] = true
		}
	}
	b := bundle{id: id, label: labelOf(id) + " bundle", version: fmt.Sprintf("1.%d.0", g.rng.IntN(5))}
	var names []string
	for mi, ok := range in {
		if !ok {
			continue
		}
		b.modules = append(b.modules, mi)
		b.dashboards = append(b.dashboards, g.o.modules[mi].dashboards...)
		if mi != 0 {
			names = append(names, strings.ToLower(g.o.modules[mi].label))
		}
	}
	b.description = "Core entities"
	if len(names) > 0 {
		b.description = "Core entities with " + strings.Join(names[:min(4, len(names))], ", ")
		if len(names) > 4 {
			b.description += fmt.Sprintf(" and %d more modules", len(names)-4)
		}
	}
	g.o.bundles = append(g.o.bundles, b)
}
