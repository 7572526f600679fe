package main

import (
	"math/rand/v2"
	"strings"
)

// none marks an absent reference between entities, which refer to each other by index.
const none = -1

// ontology is a generated schema repository in memory. Entities refer to each other by index
// into the slices; each belongs to exactly one module (its module field), the module lists it.
type ontology struct {
	modules    []module
	categories []category
	properties []property
	subobjects []subobject
	templates  []template
	dashboards []dashboard
	bundles    []bundle
	resources  []resource
}

type module struct {
	id, label, description, version string
	deps                            []int
	// scope is the module and its transitive dependencies, in ascending order: what entities
	// of the module may refer to. inScope is the same as a set.
	scope   []int
	inScope []bool
	// The module's entities; byDepth holds its categories by depth in the category graph.
	categories, properties, subobjects, templates, dashboards, resources []int
	byDepth                                                              [][]int
}

type category struct {
	id, label, description string
	head                   string // last word of the id, lower case: children reuse it
	module                 int
	parents                []int
	depth                  int   // longest path to a root
	ancestors              []int // every category reachable through parents
	required, optional     []int // properties
	requiredSubobjects     []int
	optionalSubobjects     []int
}

type property struct {
	id, label, description, datatype, cardinality string
	module                                        int
	attr                                          attribute
	parent                                        int // parent_property, or none
	chain                                         int // length of the parent_property chain above
	template                                      int // has_display_template, or none
	fromCategory                                  int // the category values come from, or none
	fromCategoryObject                            bool
	allowedValues                                 []string
	units                                         []string
	precision                                     int // display_precision, or none
	pattern                                       string
	unique                                        bool
	uses                                          int // categories and subobjects listing it
}

type subobject struct {
	id, label, description string
	module                 int
	required, optional     []int
	uses                   int // categories listing it
}

type template struct {
	id, label, description, wikitext string
	module                           int
}

type dashboard struct {
	id, label, description string
	module                 int
	pages                  []page
}

type page struct {
	name, wikitext string
}

type bundle struct {
	id, label, description, version string
	modules, dashboards             []int
}

type resource struct {
	id, label, description string
	category, module       int
	values                 []field // property values, in order
}

// field is one member of a JSON object whose members are not known in advance.
type field struct {
	key   string
	value any
}

// generator holds the random source and the names taken while an ontology is built.
type generator struct {
	rng   *rand.Rand
	o     *ontology
	taken map[string]bool // "kind:id"
}

// take reserves id for kind and reports whether it was free.
func (g *generator) take(kind, id string) bool {
	key := kind + ":" + id
	if g.taken[key] {
		return false
	}
	g.taken[key] = true
	return true
}

// uniqueName returns the first candidate that is free for kind, asking candidate() up to eight
// times, and at last the last candidate with a letter suffix ("Blood_sample_b"): ids may not
// hold digits. Callers that keep state from candidate() can rely on it being from the last call.
func (g *generator) uniqueName(kind string, candidate func() string) string {
	var last string
	for range 8 {
		if last = candidate(); g.take(kind, last) {
			return last
		}
	}
	for n := 2; ; n++ {
		if c := last + "_" + letters(n); g.take(kind, c) {
			return c
		}
	}
}

// letters writes n ≥ 1 in bijective base 26 with the letters a–z: 1 a, 26 z, 27 aa.
func letters(n int) string {
	var b []byte
	for n > 0 {
		n--
		b = append([]byte{byte('a' + n%26)}, b...)
		n /= 26
	}
	return string(b)
}

// pick returns a random element of list.
func pick[T any](rng *rand.Rand, list []T) T {
	return list[rng.IntN(len(list))]
}

// skewed returns an index below n that favours small ones: about a third of the draws fall in
// the first tenth. Pools are in random order, so this makes some members popular.
func skewed(rng *rand.Rand, n int) int {
	u := rng.Float64()
	return min(int(float64(n)*u*u), n-1)
}

// chance reports true with probability p.
func chance(rng *rand.Rand, p float64) bool { return rng.Float64() < p }

// capitalize upper-cases the first letter of an ASCII word.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// labelOf turns an id into a label: "Blood_sample" → "Blood sample".
func labelOf(id string) string {
	return strings.ReplaceAll(id, "_", " ")
}

// lastWord returns the last underscore-separated word of id, in lower case.
func lastWord(id string) string {
	return strings.ToLower(id[strings.LastIndexByte(id, '_')+1:])
}

// article returns "a" or "an" for the word that follows.
func article(word string) string {
	if word != "" && strings.ContainsRune("aeiouAEIOU", rune(word[0])) {
		return "an"
	}
	return "a"
}
