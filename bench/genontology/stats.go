package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// report prints the counts per kind and the shapes that matter to the load test: the category
// graph's depth and fan-in, module sizes, and how many categories each property's used-by
// answer lists (categories that list it or inherit it, as GET …/property/{id}/used-by counts
// them).
func report(out io.Writer, o *ontology) {
	counts := []int{len(o.categories), len(o.properties), len(o.subobjects), len(o.templates),
		len(o.modules), len(o.bundles), len(o.dashboards), len(o.resources)}
	total := 0
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	for i, kind := range kindOrder {
		fmt.Fprintf(w, "%s\t%d\t\n", kind, counts[i])
		total += counts[i]
	}
	fmt.Fprintf(w, "total\t%d\t\n", total)
	w.Flush()
	fmt.Fprintf(out, "(%.1f entities per category)\n\n", float64(total)/float64(len(o.categories)))

	depths := make([]int, len(o.categories))
	parents := make([]int, len(o.categories))
	for i, c := range o.categories {
		depths[i], parents[i] = c.depth, len(c.parents)
	}
	fmt.Fprintf(out, "category depth:   %s\n", histogram(depths))
	fmt.Fprintf(out, "parents:          %s\n", histogram(parents))
	var sizes, deps, scopes []int
	for _, m := range o.modules {
		sizes, deps, scopes = append(sizes, len(m.categories)), append(deps, len(m.deps)), append(scopes, len(m.scope)-1)
	}
	fmt.Fprintf(out, "modules:          %d; categories per module %s; dependencies %s; transitive dependencies %s\n",
		len(o.modules), summary(sizes), summary(deps), summary(scopes))

	direct := make([]int, len(o.properties))
	for i, p := range o.properties {
		direct[i] = p.uses
	}
	usedBy := usedBySizes(o)
	fmt.Fprintf(out, "property direct uses (categories and subobjects listing it): %s\n", summary(direct))
	fmt.Fprintf(out, "  %s\n", buckets(direct))
	fmt.Fprintf(out, "property used-by size (categories listing or inheriting it):  %s\n", summary(usedBy))
	fmt.Fprintf(out, "  %s\n", buckets(usedBy))
	order := make([]int, len(usedBy))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return usedBy[b] - usedBy[a] })
	var top []string
	for _, i := range order[:min(6, len(order))] {
		top = append(top, fmt.Sprintf("%s %d", o.properties[i].id, usedBy[i]))
	}
	fmt.Fprintf(out, "  largest: %s\n", strings.Join(top, ", "))
}

// usedBySizes counts, per property, the categories that list it or inherit it.
func usedBySizes(o *ontology) []int {
	out := make([]int, len(o.properties))
	seen := make([]int, len(o.properties)) // category index + 1 that last counted the property
	for ci, c := range o.categories {
		for _, a := range append([]int{ci}, c.ancestors...) {
			for _, p := range slices.Concat(o.categories[a].required, o.categories[a].optional) {
				if seen[p] != ci+1 {
					seen[p] = ci + 1
					out[p]++
				}
			}
		}
	}
	return out
}

// histogram prints how often each value occurs: "0:7 1:120 2:560".
func histogram(values []int) string {
	var counts []int
	for _, v := range values {
		for len(counts) <= v {
			counts = append(counts, 0)
		}
		counts[v]++
	}
	var parts []string
	for v, n := range counts {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d:%d", v, n))
		}
	}
	return strings.Join(parts, " ")
}

// summary prints the minimum, median, 90th and 99th percentile and maximum.
func summary(values []int) string {
	if len(values) == 0 {
		return "none"
	}
	s := slices.Sorted(slices.Values(values))
	at := func(q float64) int { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return fmt.Sprintf("min %d, median %d, p90 %d, p99 %d, max %d", s[0], at(0.5), at(0.9), at(0.99), s[len(s)-1])
}

// buckets counts values in ranges that grow tenfold: "0:12 1:3400 2-4:…".
func buckets(values []int) string {
	bounds := []int{0, 1, 2, 5, 10, 20, 50, 100, 1000, 10000}
	counts := make([]int, len(bounds))
	for _, v := range values {
		i := len(bounds) - 1
		for i > 0 && v < bounds[i] {
			i--
		}
		counts[i]++
	}
	var parts []string
	for i, n := range counts {
		if n == 0 {
			continue
		}
		label := fmt.Sprintf("%d+", bounds[i])
		if i+1 < len(bounds) {
			if bounds[i+1]-1 == bounds[i] {
				label = fmt.Sprint(bounds[i])
			} else {
				label = fmt.Sprintf("%d-%d", bounds[i], bounds[i+1]-1)
			}
		}
		parts = append(parts, fmt.Sprintf("%s: %d", label, n))
	}
	return strings.Join(parts, ", ")
}
