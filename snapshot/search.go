package snapshot

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
	"unicode"
)

// Bounds on a search. The contract caps q at 200 characters (MaxSearchLength); MaxSearchWords
// caps its words, since each word costs a pass over the postings of every indexed word it is a
// prefix of. Eight words say more than any real search needs.
const (
	MaxSearchLength = 200
	MaxSearchWords  = 8
)

// SearchWords splits a search into its words: the runs of letters and digits (any script),
// lowercased. Everything else separates words.
func SearchWords(search string) []string {
	return strings.FieldsFunc(strings.ToLower(search), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// documentWords are the words an entity is found by: those of its id (underscores and slashes
// separate words, like every other non-letter), label and description, each once.
func documentWords(e *Entity) []string {
	text := e.ID + " " + e.Label
	if e.Description != nil {
		text += " " + *e.Description
	}
	words := SearchWords(text)
	slices.Sort(words)
	return slices.Compact(words)
}

// searchIndex finds the entities of one kind whose words start with every word of a search. It
// holds the distinct words in order, each with the positions (in the kind's id order) of the
// entities that have it, so a prefix is a range of words found by binary search.
type searchIndex struct {
	words    []string
	postings [][]uint32
	size     int // entities in the kind
}

func newSearchIndex(entities []*Entity) *searchIndex {
	byWord := map[string][]uint32{}
	for i, e := range entities {
		for _, w := range documentWords(e) {
			byWord[w] = append(byWord[w], uint32(i))
		}
	}
	idx := &searchIndex{words: make([]string, 0, len(byWord)), size: len(entities)}
	for w := range byWord {
		idx.words = append(idx.words, w)
	}
	slices.Sort(idx.words)
	idx.postings = make([][]uint32, len(idx.words))
	for i, w := range idx.words {
		idx.postings[i] = slices.Clip(byWord[w])
	}
	return idx
}

// bitset is a set of positions in a kind's id order.
type bitset []uint64

func newBitset(n int) bitset { return make(bitset, (n+63)/64) }

func (b bitset) set(i int)      { b[i/64] |= 1 << (i % 64) }
func (b bitset) has(i int) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitset) and(other bitset) {
	for i := range b {
		b[i] &= other[i]
	}
}
func (b bitset) empty() bool { return !slices.ContainsFunc(b, func(w uint64) bool { return w != 0 }) }

// next returns the first position ≥ from in the set, or -1.
func (b bitset) next(from int) int {
	if from < 0 {
		from = 0
	}
	for w := from / 64; w < len(b); w++ {
		word := b[w]
		if w == from/64 {
			word &= ^uint64(0) << (from % 64)
		}
		if word != 0 {
			return w*64 + bits.TrailingZeros64(word)
		}
	}
	return -1
}

// match returns the positions of the entities that have, for every search word, a word starting
// with it. Its cost is the number of postings of the matching words, bounded by the words of the
// kind's entities.
func (idx *searchIndex) match(words []string) bitset {
	var result bitset
	for _, w := range words {
		found := newBitset(idx.size)
		lo := sort.SearchStrings(idx.words, w)
		for i := lo; i < len(idx.words) && strings.HasPrefix(idx.words[i], w); i++ {
			for _, pos := range idx.postings[i] {
				found.set(int(pos))
			}
		}
		if result == nil {
			result = found
		} else {
			result.and(found)
		}
		if result.empty() {
			break
		}
	}
	return result
}
