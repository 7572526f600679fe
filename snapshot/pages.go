package snapshot

import (
	"errors"
	"slices"

	"github.com/ontohub/ontohub/ontology"
)

// ErrNoModule is returned for a module filter that names no live module.
var ErrNoModule = errors.New("snapshot: no such module")

// PageQuery selects one page of entities of one kind, in id order.
type PageQuery struct {
	// After is the id the previous page ended with; "" for the first page.
	After string
	// Limit is the page size (at least 1).
	Limit int
	// Words, when not nil, keeps the entities that have, for every word, a word (of their id,
	// label or description) starting with it; see SearchWords.
	Words []string
	// Module, when set, keeps the entities of that module (see Module membership in the contract).
	Module string
}

// Page is one page of entities.
type Page struct {
	Items []*Entity
	// HasNext reports whether more entities follow the last one.
	HasNext bool
}

// Page returns one page of the entities of kind matching q. Pagination is keyset on the id:
// the page starts after q.After, so a walk over every page sees every entity that stays live
// throughout exactly once, whichever generations the pages come from.
func (s *Snapshot) Page(kind ontology.Kind, q PageQuery) (Page, error) {
	k, ok := s.kinds[kind]
	if !ok {
		return Page{}, nil
	}
	var search bitset
	if q.Words != nil {
		search = k.search.match(q.Words)
		if len(q.Words) == 0 {
			search = newBitset(len(k.sorted))
		}
	}
	limit := max(q.Limit, 1)
	page := Page{Items: make([]*Entity, 0, min(limit, len(k.sorted)))}
	take := func(i int) bool {
		if len(page.Items) == limit {
			page.HasNext = true
			return false
		}
		page.Items = append(page.Items, k.sorted[i])
		return true
	}
	start := k.position(q.After)
	if q.Module != "" {
		m, ok := s.modules[q.Module]
		if !ok {
			return Page{}, ErrNoModule
		}
		members := m.members[kind]
		from, _ := slices.BinarySearch(members, int32(start))
		for _, i := range members[from:] {
			if search != nil && !search.has(int(i)) {
				continue
			}
			if !take(int(i)) {
				break
			}
		}
		return page, nil
	}
	for i := start; i < len(k.sorted); i++ {
		if search != nil {
			if i = search.next(i); i < 0 {
				break
			}
		}
		if !take(i) {
			break
		}
	}
	return page, nil
}
