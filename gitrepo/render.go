package gitrepo

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
)

// lineWidth is the widest line an array of scalars is kept on one line within, as the schema
// repository's formatter (Prettier) does.
const lineWidth = 80

// RenderJSON writes an entity's JSON as the schema repository keeps its files: 2-space indent,
// objects one member a line, arrays of scalars on one line when it fits in 80 columns (one
// element a line otherwise), a trailing newline. original is the file as it is at the base
// commit, nil for a new file: every part of the entity that equals the same part of original
// is written exactly as original has it, and original's members come in its order; members it
// lacks follow in the order entity has them. entity keeps its key order as given (the drafts
// store keeps JSON text), so the result is stable.
func RenderJSON(entity, original []byte) ([]byte, error) {
	value, err := parseJSON(entity)
	if err != nil {
		return nil, fmt.Errorf("gitrepo: render: entity: %w", err)
	}
	var orig *jsonNode
	if original != nil {
		// A base file that does not parse is replaced whole; its text cannot guide anything.
		orig, _ = parseJSON(original)
	}
	var b bytes.Buffer
	writeNode(&b, value, orig, 0, 0)
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// jsonNode is a JSON value with the exact text it was read from, members in document order.
type jsonNode struct {
	// kind is '{', '[' or 0 for a scalar.
	kind byte
	// raw is the value's text exactly as read.
	raw []byte
	// keys are the object's member names, decoded; rawKeys the same as read (with quotes).
	keys    []string
	rawKeys [][]byte
	// children are the members' values (objects) or the elements (arrays).
	children []*jsonNode
}

func (n *jsonNode) member(key string) *jsonNode {
	for i, k := range n.keys {
		if k == key {
			return n.children[i]
		}
	}
	return nil
}

// parseJSON reads one JSON document keeping member order and the text of every value.
func parseJSON(data []byte) (*jsonNode, error) {
	if !json.Valid(data) {
		return nil, errors.New("not valid JSON")
	}
	p := jsonParser{data: data}
	n := p.value()
	return n, nil
}

// jsonParser reads a document json.Valid has accepted, so it need not report errors.
type jsonParser struct {
	data []byte
	pos  int
}

func (p *jsonParser) space() {
	for p.pos < len(p.data) && (p.data[p.pos] == ' ' || p.data[p.pos] == '\t' || p.data[p.pos] == '\n' || p.data[p.pos] == '\r') {
		p.pos++
	}
}

func (p *jsonParser) value() *jsonNode {
	p.space()
	start := p.pos
	n := &jsonNode{}
	switch p.data[p.pos] {
	case '{':
		n.kind = '{'
		p.pos++
		for p.space(); p.data[p.pos] != '}'; p.space() {
			keyStart := p.pos
			p.str()
			rawKey := p.data[keyStart:p.pos]
			var key string
			_ = json.Unmarshal(rawKey, &key)
			p.space()
			p.pos++ // ':'
			n.keys = append(n.keys, key)
			n.rawKeys = append(n.rawKeys, rawKey)
			n.children = append(n.children, p.value())
			p.space()
			if p.data[p.pos] == ',' {
				p.pos++
			}
		}
		p.pos++
	case '[':
		n.kind = '['
		p.pos++
		for p.space(); p.data[p.pos] != ']'; p.space() {
			n.children = append(n.children, p.value())
			p.space()
			if p.data[p.pos] == ',' {
				p.pos++
			}
		}
		p.pos++
	case '"':
		p.str()
	default:
		for p.pos < len(p.data) && !bytes.ContainsRune([]byte(",]} \t\n\r"), rune(p.data[p.pos])) {
			p.pos++
		}
	}
	n.raw = p.data[start:p.pos]
	return n
}

// str skips a string token.
func (p *jsonParser) str() {
	p.pos++ // opening quote
	for p.data[p.pos] != '"' {
		if p.data[p.pos] == '\\' {
			p.pos++
		}
		p.pos++
	}
	p.pos++
}

// equal reports whether two values mean the same, member order aside.
func equal(a, b *jsonNode) bool {
	if a.kind != b.kind || len(a.children) != len(b.children) {
		return false
	}
	switch a.kind {
	case '{':
		for i, k := range a.keys {
			other := b.member(k)
			if other == nil || !equal(a.children[i], other) {
				return false
			}
		}
		return true
	case '[':
		for i := range a.children {
			if !equal(a.children[i], b.children[i]) {
				return false
			}
		}
		return true
	}
	if bytes.Equal(a.raw, b.raw) {
		return true
	}
	var va, vb any
	return json.Unmarshal(a.raw, &va) == nil && json.Unmarshal(b.raw, &vb) == nil && reflect.DeepEqual(va, vb)
}

// writeNode writes v at nesting level, its first character at column; o is the same place in
// the original file, nil when it has none.
func writeNode(b *bytes.Buffer, v, o *jsonNode, level, column int) {
	if o != nil && equal(v, o) {
		b.Write(o.raw)
		return
	}
	if o != nil && o.kind != v.kind {
		o = nil
	}
	switch v.kind {
	case '{':
		writeObject(b, v, o, level)
	case '[':
		writeArray(b, v, o, level, column)
	default:
		b.Write(v.raw)
	}
}

// objectOrder lists the indexes of v's members in writing order: those o has, in o's order,
// then the others in v's order.
func objectOrder(v, o *jsonNode) []int {
	order := make([]int, 0, len(v.keys))
	seen := make(map[int]bool, len(v.keys))
	if o != nil {
		for _, k := range o.keys {
			for i, vk := range v.keys {
				if vk == k && !seen[i] {
					order, seen[i] = append(order, i), true
					break
				}
			}
		}
	}
	for i := range v.keys {
		if !seen[i] {
			order = append(order, i)
		}
	}
	return order
}

func writeObject(b *bytes.Buffer, v, o *jsonNode, level int) {
	if len(v.keys) == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteString("{\n")
	for n, i := range objectOrder(v, o) {
		if n > 0 {
			b.WriteString(",\n")
		}
		indent(b, level+1)
		b.Write(v.rawKeys[i])
		b.WriteString(": ")
		var prev *jsonNode
		if o != nil {
			prev = o.member(v.keys[i])
		}
		writeNode(b, v.children[i], prev, level+1, 2*(level+1)+len(v.rawKeys[i])+2)
	}
	b.WriteByte('\n')
	indent(b, level)
	b.WriteByte('}')
}

func writeArray(b *bytes.Buffer, v, o *jsonNode, level, column int) {
	if len(v.children) == 0 {
		b.WriteString("[]")
		return
	}
	if inline, ok := inlineArray(v); ok && column+len(inline)+1 <= lineWidth {
		b.Write(inline)
		return
	}
	b.WriteString("[\n")
	for i, elem := range v.children {
		if i > 0 {
			b.WriteString(",\n")
		}
		indent(b, level+1)
		var prev *jsonNode
		if o != nil && i < len(o.children) {
			prev = o.children[i]
		}
		writeNode(b, elem, prev, level+1, 2*(level+1))
	}
	b.WriteByte('\n')
	indent(b, level)
	b.WriteByte(']')
}

// inlineArray is an array of scalars on one line; ok is false when an element is not a scalar.
func inlineArray(v *jsonNode) ([]byte, bool) {
	out := []byte{'['}
	for i, elem := range v.children {
		if elem.kind != 0 {
			return nil, false
		}
		if i > 0 {
			out = append(out, ", "...)
		}
		out = append(out, elem.raw...)
	}
	return append(out, ']'), true
}

func indent(b *bytes.Buffer, level int) {
	for range level {
		b.WriteString("  ")
	}
}

// EntityFile is the change of one entity's file: before is the file at the base commit (nil
// when the entity is created), entity the entity's JSON as the draft leaves it (nil when it is
// deleted), rendered with RenderJSON against before.
func EntityFile(path string, before, entity []byte) (FileChange, error) {
	change := FileChange{Path: path, Before: before}
	if entity != nil {
		after, err := RenderJSON(entity, before)
		if err != nil {
			return FileChange{}, fmt.Errorf("gitrepo: %s: %w", path, err)
		}
		change.After = after
	}
	return change, nil
}
