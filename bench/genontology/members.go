package main

import (
	"fmt"
	"slices"
	"strings"
)

// share splits total among the modules in proportion to their categories, each getting at
// least least.
func (g *generator) share(total, least int) []int {
	out := make([]int, len(g.o.modules))
	n := len(g.o.categories)
	for i, m := range g.o.modules {
		out[i] = max(least, total*len(m.categories)/n)
	}
	return out
}

// fromScope picks a random member of module mi's scope: with probability own from the module's
// own list, else from the lists of its whole scope, each module weighted by its list's length.
// With skew, members early in a list are picked more often (lists are in random order, so some
// members become popular). It returns none when the scope has no member.
func (g *generator) fromScope(mi int, list func(*module) []int, own float64, skew bool) int {
	draw := func(l []int) int {
		if skew {
			return l[skewed(g.rng, len(l))]
		}
		return pick(g.rng, l)
	}
	m := &g.o.modules[mi]
	if l := list(m); len(l) > 0 && chance(g.rng, own) {
		return draw(l)
	}
	total := 0
	for _, s := range m.scope {
		total += len(list(&g.o.modules[s]))
	}
	if total == 0 {
		return none
	}
	r := g.rng.IntN(total)
	for _, s := range m.scope {
		l := list(&g.o.modules[s])
		if r < len(l) {
			return draw(l)
		}
		r -= len(l)
	}
	return none
}

func moduleTemplates(m *module) []int  { return m.templates }
func moduleProperties(m *module) []int { return m.properties }
func moduleSubobjects(m *module) []int { return m.subobjects }
func moduleCategories(m *module) []int { return m.categories }

// moduleHead returns the head noun of a random category of module mi: properties, subobjects
// and templates of a module are named after what the module is about.
func (g *generator) moduleHead(mi int) string {
	return g.o.categories[pick(g.rng, g.o.modules[mi].categories)].head
}

// buildTemplates gives Core one template per common datatype ("Property/Page") and every other
// module a share of the rest ("Property/Sample_link").
func (g *generator) buildTemplates(s sizes) {
	for _, t := range coreTemplates {
		id := "Property/" + t.name
		g.take("template", id)
		g.addTemplate(0, id, t.name, strings.ToLower(t.datatype))
	}
	for mi, count := range g.share(s.templates-len(coreTemplates), 1) {
		if mi == 0 {
			continue
		}
		for range count {
			var head, style string
			id := g.uniqueName("template", func() string {
				head, style = g.moduleHead(mi), pick(g.rng, templateStyles)
				return "Property/" + capitalize(head) + "_" + style
			})
			g.addTemplate(mi, id, head+" "+style, head)
		}
	}
}

func (g *generator) addTemplate(mi int, id, name, what string) {
	t := template{
		id:          id,
		label:       capitalize(name) + " template",
		description: fmt.Sprintf("Renders %s values as %s %s", what, article(name), strings.ToLower(name)),
		wikitext:    templateWikitext(g.rng.IntN(3)),
		module:      mi,
	}
	g.o.modules[mi].templates = append(g.o.modules[mi].templates, len(g.o.templates))
	g.o.templates = append(g.o.templates, t)
}

func templateWikitext(variant int) string {
	switch variant {
	case 0:
		return "<includeonly>{{#if:{{{value|}}}|{{#arraymap:{{{value|}}}|,|@@item@@|[[:@@item@@]]|,&#32;}}|}}</includeonly>"
	case 1:
		return "<includeonly>{{#if:{{{value|}}}|<span class=\"ontohub-value\">{{{value}}}</span>|&mdash;}}</includeonly>"
	}
	return "<includeonly>{{#if:{{{value|}}}|{{#arraymap:{{{value|}}}|,|@@x@@|* @@x@@|\n}}|}}</includeonly>"
}

// buildProperties creates Core's common properties, then about three properties per category
// in every module.
func (g *generator) buildProperties(s sizes) {
	for _, cp := range commonProperties {
		g.take("property", cp.id)
		p := property{id: cp.id, label: cp.label, description: cp.description, datatype: cp.datatype,
			cardinality: cp.cardinality, module: 0, parent: none, template: none, fromCategory: none, precision: none}
		switch cp.id {
		case "Has_status":
			p.allowedValues = enumValues["status"]
		case "Has_owner", "Has_location", "Has_image", "Has_license":
			p.template = 0 // Property/Page
		case "Has_website":
			p.template = 1 // Property/Url
		}
		g.appendProperty(p)
	}
	for mi, count := range g.share(s.properties, 1) {
		if mi == 0 {
			count -= len(commonProperties)
		}
		for range count {
			g.addProperty(mi)
		}
	}
}

func (g *generator) appendProperty(p property) {
	g.o.modules[p.module].properties = append(g.o.modules[p.module].properties, len(g.o.properties))
	g.o.properties = append(g.o.properties, p)
}

// addProperty creates one property of module mi: "Has_<head>_<attribute>", or a Boolean
// "Is_<word>", with the fields its attribute implies.
func (g *generator) addProperty(mi int) {
	p := property{module: mi, parent: none, template: none, fromCategory: none, precision: none, cardinality: "single"}
	if chance(g.rng, 0.08) {
		var head, word string
		try := 0
		p.id = g.uniqueName("property", func() string {
			try++
			head, word = g.moduleHead(mi), pick(g.rng, booleanWords)
			if try <= 2 {
				return "Is_" + word
			}
			return "Is_" + head + "_" + word
		})
		p.label = capitalize(labelOf(p.id))
		p.description = fmt.Sprintf("Whether the %s is %s", head, word)
		p.datatype = "Boolean"
	} else {
		var head string
		try := 0
		p.id = g.uniqueName("property", func() string {
			try++
			head, p.attr = g.moduleHead(mi), pick(g.rng, attributes)
			if try <= 4 {
				return "Has_" + head + "_" + p.attr.word
			}
			return "Has_" + head + "_" + pick(g.rng, nouns) + "_" + p.attr.word
		})
		p.label = capitalize(labelOf(strings.TrimPrefix(p.id, "Has_")))
		p.description = fmt.Sprintf("The %s of %s %s", p.attr.word, article(head), head)
		p.datatype = p.attr.datatype
		g.propertyDetails(mi, &p)
	}
	if p.cardinality == "single" && chance(g.rng, 0.2) {
		p.cardinality = "multiple"
	}
	if mi != 0 && chance(g.rng, 0.08) {
		g.parentProperty(mi, &p)
	}
	g.appendProperty(p)
}

// allowedPatterns are the allowed_pattern of identifier properties.
var allowedPatterns = []string{`^[A-Z]{2,4}-[0-9]{3,6}$`, `^[0-9]{4}-[0-9]{4}$`, `^[a-z0-9_]+$`, `^[A-Z][0-9]{5}$`}

// propertyDetails sets the fields a property's attribute kind implies.
func (g *generator) propertyDetails(mi int, p *property) {
	switch p.attr.kind {
	case enumAttr:
		p.allowedValues = enumValues[p.attr.word]
		if p.allowedValues == nil {
			p.allowedValues = genericValues
		}
	case pageAttr:
		if chance(g.rng, 0.5) {
			p.cardinality = "multiple"
		}
		switch r := g.rng.Float64(); {
		case r < 0.3:
			p.fromCategory = g.fromScope(mi, moduleCategories, 0.5, true)
		case r < 0.4:
			p.fromCategory = g.fromScope(mi, moduleCategories, 0.5, true)
			p.fromCategoryObject = true
		}
		if chance(g.rng, 0.5) {
			p.template = 0 // Property/Page, in Core, which every module depends on
		}
	case measureAttr:
		if len(p.attr.units) > 0 {
			p.units = p.attr.units[:1+g.rng.IntN(len(p.attr.units))]
		}
		if chance(g.rng, 0.5) {
			p.precision = g.rng.IntN(4)
		}
	case idAttr:
		p.unique = chance(g.rng, 0.5)
		if chance(g.rng, 0.3) {
			p.pattern = pick(g.rng, allowedPatterns)
		}
	}
	if p.attr.word == "keyword" || p.attr.word == "tag" {
		p.cardinality = "multiple"
	}
	if p.template == none && chance(g.rng, 0.12) {
		p.template = g.fromScope(mi, moduleTemplates, 0.7, false)
	}
}

// parentProperty gives p a parent_property of the same datatype from its scope. Parents come
// before children in index order (no cycles) and chains stay at most three long.
func (g *generator) parentProperty(mi int, p *property) {
	for range 10 {
		c := g.fromScope(mi, moduleProperties, 0.7, false)
		if c == none {
			return
		}
		if parent := g.o.properties[c]; parent.datatype == p.datatype && parent.chain < 2 {
			p.parent, p.chain = c, parent.chain+1
			return
		}
	}
}

// buildSubobjects creates Core's Address and about three subobjects per five categories.
func (g *generator) buildSubobjects(s sizes) {
	g.take("subobject", "Address")
	address := subobject{id: "Address", label: "Address", description: "A physical or mailing address", module: 0}
	for i, cp := range commonProperties {
		switch cp.id {
		case "Has_street", "Has_city", "Has_country":
			address.required = append(address.required, i)
		case "Has_postal_code":
			address.optional = append(address.optional, i)
		}
	}
	g.appendSubobject(address)
	for mi, count := range g.share(s.subobjects, 1) {
		if mi == 0 {
			count--
		}
		for range count {
			g.addSubobject(mi)
		}
	}
}

func (g *generator) appendSubobject(so subobject) {
	for _, p := range slices.Concat(so.required, so.optional) {
		g.o.properties[p].uses++
	}
	g.o.modules[so.module].subobjects = append(g.o.modules[so.module].subobjects, len(g.o.subobjects))
	g.o.subobjects = append(g.o.subobjects, so)
}

func (g *generator) addSubobject(mi int) {
	var head, suffix string
	try := 0
	id := g.uniqueName("subobject", func() string {
		try++
		head, suffix = g.moduleHead(mi), pick(g.rng, subobjectSuffixes)
		if try <= 4 {
			return capitalize(head) + "_" + suffix
		}
		return capitalize(pick(g.rng, modifiers)) + "_" + head + "_" + suffix
	})
	so := subobject{id: id, label: labelOf(id), module: mi,
		description: fmt.Sprintf("One %s of %s %s, kept as a subobject", suffix, article(head), head)}
	listed := map[int]bool{}
	so.required = g.pickDistinct(1+g.rng.IntN(2), listed, func() int { return g.fromScope(mi, moduleProperties, 0.8, true) })
	so.optional = g.pickDistinct(g.rng.IntN(4), listed, func() int { return g.fromScope(mi, moduleProperties, 0.8, true) })
	g.appendSubobject(so)
}

// pickDistinct draws up to n members with draw, skipping those already in taken (which it
// extends): a few draws may be wasted on duplicates, so lists come out a little shorter.
func (g *generator) pickDistinct(n int, taken map[int]bool, draw func() int) []int {
	var out []int
	for range n * 3 {
		if len(out) == n {
			break
		}
		if x := draw(); x != none && !taken[x] {
			taken[x] = true
			out = append(out, x)
		}
	}
	return out
}

// inherited returns the members the ancestors of c list (required or optional), which c need
// not list again.
func (g *generator) inherited(c *category, lists func(*category) [][]int) map[int]bool {
	out := map[int]bool{}
	for _, a := range c.ancestors {
		for _, l := range lists(&g.o.categories[a]) {
			for _, x := range l {
				out[x] = true
			}
		}
	}
	return out
}

func propertyLists(c *category) [][]int  { return [][]int{c.required, c.optional} }
func subobjectLists(c *category) [][]int { return [][]int{c.requiredSubobjects, c.optionalSubobjects} }

// assignProperties lets every category list a few properties it does not inherit: roots
// require Has_name and list a few other common properties, which makes their used-by answers
// large; categories just below them sometimes add one more.
func (g *generator) assignProperties() {
	var common []int
	for i, cp := range commonProperties {
		if cp.id != "Has_name" && !addressProperties[cp.id] {
			common = append(common, i)
		}
	}
	for ci := range g.o.categories {
		c := &g.o.categories[ci]
		taken := g.inherited(c, propertyLists)
		if len(c.parents) == 0 {
			taken[0] = true
			c.required = []int{0}
			c.optional = g.pickDistinct(2+g.rng.IntN(2), taken, func() int { return pick(g.rng, common) })
		} else {
			c.required = g.pickDistinct(g.weighted([]int{35, 40, 25}), taken, func() int { return g.fromScope(c.module, moduleProperties, 0.75, true) })
			c.optional = g.pickDistinct(2+g.rng.IntN(5), taken, func() int { return g.fromScope(c.module, moduleProperties, 0.75, true) })
			if c.depth == 1 && chance(g.rng, 0.4) {
				c.optional = append(c.optional, g.pickDistinct(1, taken, func() int { return pick(g.rng, common) })...)
			}
		}
		for _, p := range slices.Concat(c.required, c.optional) {
			g.o.properties[p].uses++
		}
	}
}

// assignSubobjects lets about three categories in ten list a subobject (a few two).
func (g *generator) assignSubobjects() {
	for ci := range g.o.categories {
		c := &g.o.categories[ci]
		if !chance(g.rng, 0.3) {
			continue
		}
		taken := g.inherited(c, subobjectLists)
		n := 1
		if chance(g.rng, 0.15) {
			n = 2
		}
		for _, so := range g.pickDistinct(n, taken, func() int { return g.fromScope(c.module, moduleSubobjects, 0.75, true) }) {
			if chance(g.rng, 0.3) {
				c.requiredSubobjects = append(c.requiredSubobjects, so)
			} else {
				c.optionalSubobjects = append(c.optionalSubobjects, so)
			}
			g.o.subobjects[so].uses++
		}
	}
}

// useEverything makes every subobject and property used at least once: one nobody lists is
// added as optional to a category of its own module that does not already have it (or, for a
// property, to a subobject of its module). A real ontology has few unused members.
func (g *generator) useEverything() {
	for si := range g.o.subobjects {
		so := &g.o.subobjects[si]
		if so.uses > 0 {
			continue
		}
		if c := g.categoryWithout(so.module, si, subobjectLists); c != nil {
			c.optionalSubobjects = append(c.optionalSubobjects, si)
			so.uses++
		}
	}
	for pi := range g.o.properties {
		p := &g.o.properties[pi]
		if p.uses > 0 || addressProperties[p.id] {
			continue
		}
		if c := g.categoryWithout(p.module, pi, propertyLists); c != nil {
			c.optional = append(c.optional, pi)
			p.uses++
			continue
		}
		m := g.o.modules[p.module]
		if len(m.subobjects) > 0 {
			so := &g.o.subobjects[pick(g.rng, m.subobjects)]
			if !slices.Contains(so.required, pi) && !slices.Contains(so.optional, pi) {
				so.optional = append(so.optional, pi)
				p.uses++
			}
		}
	}
}

// categoryWithout returns a random category of module mi that neither lists nor inherits x, or
// nil after a few tries.
func (g *generator) categoryWithout(mi, x int, lists func(*category) [][]int) *category {
	cats := g.o.modules[mi].categories
	for range 10 {
		c := &g.o.categories[pick(g.rng, cats)]
		has := false
		for _, l := range lists(c) {
			has = has || slices.Contains(l, x)
		}
		if !has && !g.inherited(c, lists)[x] {
			return c
		}
	}
	return nil
}
