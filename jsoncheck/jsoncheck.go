// Package jsoncheck decides whether bytes are one strict JSON document, the kind every other part
// of ontohub may then decode without surprises: exactly one value (no trailing data), valid UTF-8,
// no lone UTF-16 surrogates in escapes, no duplicate object keys, numbers that fit an IEEE-754
// double, and bounded nesting. encoding/json is lenient on each of these points (it replaces bad
// text with U+FFFD, keeps the last of duplicate keys, and stops at the first value), which lets
// two readers of one document disagree about what it says.
//
// Check runs in one pass without building the document: its memory is the nesting depth plus
// the keys of the objects currently open.
package jsoncheck

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Limits bound what Check accepts.
type Limits struct {
	// MaxDepth is the deepest nesting of arrays and objects; 0 means DefaultMaxDepth.
	MaxDepth int
	// MaxNumberLength is the longest number literal in bytes; 0 means DefaultMaxNumberLength.
	MaxNumberLength int
	// AllowNUL accepts the escape \u0000 in strings. PostgreSQL's jsonb and text cannot hold
	// U+0000, so it is refused by default.
	AllowNUL bool
}

// Defaults of Limits.
const (
	DefaultMaxDepth        = 64
	DefaultMaxNumberLength = 64
)

// Error says where a document stops being strict JSON.
type Error struct {
	// Offset is the byte offset of the problem.
	Offset int
	// Pointer is the RFC 6901 JSON Pointer of the value the problem is in ("" for the root).
	Pointer string
	// Reason says what is wrong, without the location.
	Reason string
	// Syntax reports whether the document breaks the JSON grammar (as opposed to a well-formed
	// value that is refused: a bad number, a lone surrogate, a duplicate key, too deep).
	Syntax bool
}

// Error describes the problem with its location.
func (e *Error) Error() string {
	where := "at the top level"
	if e.Pointer != "" {
		where = "at " + e.Pointer
	}
	return fmt.Sprintf("%s (%s, byte %d)", e.Reason, where, e.Offset)
}

// Check returns nil when data is exactly one strict JSON value, optionally surrounded by
// whitespace, within lim; otherwise an *Error.
func Check(data []byte, lim Limits) error {
	if lim.MaxDepth <= 0 {
		lim.MaxDepth = DefaultMaxDepth
	}
	if lim.MaxNumberLength <= 0 {
		lim.MaxNumberLength = DefaultMaxNumberLength
	}
	s := &scanner{data: data, lim: lim}
	s.skipSpace()
	if s.pos == len(data) {
		return s.syntax("empty document")
	}
	if err := s.value(0); err != nil {
		return err
	}
	s.skipSpace()
	if s.pos != len(data) {
		return s.syntax("unexpected data after the JSON value")
	}
	return nil
}

// segment is one step of the path to the value being scanned: an object key (raw, still
// escaped) or an array index.
type segment struct {
	key   []byte
	index int
	isKey bool
}

type scanner struct {
	data []byte
	pos  int
	lim  Limits
	path []segment
}

func (s *scanner) fail(format string, args ...any) error {
	return &Error{Offset: s.pos, Pointer: s.pointer(), Reason: fmt.Sprintf(format, args...)}
}

// syntax is fail for a break of the JSON grammar.
func (s *scanner) syntax(format string, args ...any) error {
	err := s.fail(format, args...).(*Error)
	err.Syntax = true
	return err
}

// pointer renders the current path as a JSON Pointer. It runs only on failure.
func (s *scanner) pointer() string {
	var b strings.Builder
	for _, seg := range s.path {
		b.WriteByte('/')
		if !seg.isKey {
			b.WriteString(strconv.Itoa(seg.index))
			continue
		}
		key, err := strconv.Unquote(`"` + string(seg.key) + `"`)
		if err != nil {
			key = string(seg.key)
		}
		b.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(key))
	}
	return b.String()
}

func (s *scanner) skipSpace() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if s.pos >= len(s.data) {
		return s.syntax("unexpected end of data")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth + 1)
	case c == '[':
		return s.array(depth + 1)
	case c == '"':
		_, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	default:
		return s.syntax("invalid character %q looking for a value", rune(c))
	}
}

func (s *scanner) literal(word string) error {
	if !strings.HasPrefix(string(s.data[s.pos:min(len(s.data), s.pos+len(word))]), word) {
		return s.syntax("invalid literal, expected %s", word)
	}
	s.pos += len(word)
	return nil
}

func (s *scanner) object(depth int) error {
	if depth > s.lim.MaxDepth {
		return s.fail("nested deeper than %d levels", s.lim.MaxDepth)
	}
	s.pos++ // {
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	var seen map[string]struct{}
	for {
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.syntax("expected a string as object key")
		}
		start := s.pos
		key, err := s.str()
		if err != nil {
			return err
		}
		if seen == nil {
			seen = make(map[string]struct{})
		}
		// Keys are compared unescaped: "a" and "\u0061" are the same key.
		if _, dup := seen[key]; dup {
			s.pos = start
			return s.fail("duplicate object key %q", key)
		}
		seen[key] = struct{}{}
		s.skipSpace()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.syntax("expected ':' after object key")
		}
		s.pos++
		s.skipSpace()
		s.path = append(s.path, segment{key: keyBytes(s.data, start), isKey: true})
		if err := s.value(depth); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.syntax("unexpected end of data in object")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.syntax("expected ',' or '}' in object")
		}
	}
}

// keyBytes returns the raw (escaped) text of the string starting at start, without quotes.
func keyBytes(data []byte, start int) []byte {
	end := start + 1
	for end < len(data) && data[end] != '"' {
		if data[end] == '\\' {
			end++
		}
		end++
	}
	return data[start+1 : min(end, len(data))]
}

func (s *scanner) array(depth int) error {
	if depth > s.lim.MaxDepth {
		return s.fail("nested deeper than %d levels", s.lim.MaxDepth)
	}
	s.pos++ // [
	s.skipSpace()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	s.path = append(s.path, segment{})
	for i := 0; ; i++ {
		s.path[len(s.path)-1].index = i
		s.skipSpace()
		if err := s.value(depth); err != nil {
			return err
		}
		s.skipSpace()
		if s.pos >= len(s.data) {
			return s.syntax("unexpected end of data in array")
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case ']':
			s.pos++
			s.path = s.path[:len(s.path)-1]
			return nil
		default:
			return s.syntax("expected ',' or ']' in array")
		}
	}
}

// str scans a string and returns its unescaped value.
func (s *scanner) str() (string, error) {
	s.pos++ // opening quote
	var b strings.Builder
	for {
		if s.pos >= len(s.data) {
			return "", s.syntax("unterminated string")
		}
		c := s.data[s.pos]
		switch {
		case c == '"':
			s.pos++
			return b.String(), nil
		case c == '\\':
			if err := s.escape(&b); err != nil {
				return "", err
			}
		case c < 0x20:
			return "", s.syntax("control character U+%04X in string (escape it)", c)
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			s.pos++
		default:
			r, size := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && size <= 1 {
				return "", s.fail("invalid UTF-8 in string")
			}
			b.WriteRune(r)
			s.pos += size
		}
	}
}

func (s *scanner) escape(b *strings.Builder) error {
	if s.pos+1 >= len(s.data) {
		return s.syntax("unterminated escape")
	}
	c := s.data[s.pos+1]
	switch c {
	case '"', '\\', '/':
		b.WriteByte(c)
	case 'b':
		b.WriteByte('\b')
	case 'f':
		b.WriteByte('\f')
	case 'n':
		b.WriteByte('\n')
	case 'r':
		b.WriteByte('\r')
	case 't':
		b.WriteByte('\t')
	case 'u':
		return s.unicodeEscape(b)
	default:
		return s.syntax("invalid escape \\%c", c)
	}
	s.pos += 2
	return nil
}

// unicodeEscape reads \uXXXX, and its low surrogate when XXXX is a high one; a surrogate that is
// not half of a pair is refused, as U+0000 is unless allowed.
func (s *scanner) unicodeEscape(b *strings.Builder) error {
	r, ok := hex4(s.data, s.pos+2)
	if !ok {
		return s.syntax("invalid \\u escape")
	}
	switch {
	case r >= 0xD800 && r < 0xDC00:
		low, ok := -1, s.pos+12 <= len(s.data) && s.data[s.pos+6] == '\\' && s.data[s.pos+7] == 'u'
		if ok {
			low, ok = hex4(s.data, s.pos+8)
		}
		if !ok || low < 0xDC00 || low >= 0xE000 {
			return s.fail("lone UTF-16 surrogate \\u%04X in string", r)
		}
		b.WriteRune(0x10000 + (rune(r)-0xD800)<<10 + (rune(low) - 0xDC00))
		s.pos += 12
		return nil
	case r >= 0xDC00 && r < 0xE000:
		return s.fail("lone UTF-16 surrogate \\u%04X in string", r)
	case r == 0 && !s.lim.AllowNUL:
		return s.fail(`the character \u0000 (NUL) cannot be stored`)
	}
	b.WriteRune(rune(r))
	s.pos += 6
	return nil
}

func hex4(data []byte, at int) (int, bool) {
	if at+4 > len(data) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(data[at:at+4]), 16, 32)
	return int(n), err == nil
}

// number scans a number literal: RFC 8259 grammar, at most MaxNumberLength bytes, and a value an
// IEEE-754 double holds (no overflow to infinity, no non-zero literal that underflows to zero).
func (s *scanner) number() error {
	start := s.pos
	if s.data[s.pos] == '-' {
		s.pos++
	}
	switch {
	case s.pos < len(s.data) && s.data[s.pos] == '0':
		s.pos++
	case s.pos < len(s.data) && s.data[s.pos] >= '1' && s.data[s.pos] <= '9':
		s.digits()
	default:
		return s.syntax("invalid number")
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if s.digits() == 0 {
			return s.syntax("invalid number: digits expected after '.'")
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if s.digits() == 0 {
			return s.syntax("invalid number: digits expected in exponent")
		}
	}
	literal := s.data[start:s.pos]
	if len(literal) > s.lim.MaxNumberLength {
		s.pos = start
		return s.fail("number literal longer than %d characters", s.lim.MaxNumberLength)
	}
	f, err := strconv.ParseFloat(string(literal), 64)
	if err != nil || f == 0 && !isZeroLiteral(literal) {
		s.pos = start
		return s.fail("number %s is outside the range of a 64-bit floating-point number", literal)
	}
	return nil
}

func (s *scanner) digits() int {
	n := 0
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		s.pos++
		n++
	}
	return n
}

// isZeroLiteral reports whether a number literal's mantissa is zero (0, -0.000, 0e5), so that a
// zero result of parsing it is not an underflow.
func isZeroLiteral(literal []byte) bool {
	for _, c := range literal {
		switch {
		case c == 'e' || c == 'E':
			return true
		case c >= '1' && c <= '9':
			return false
		}
	}
	return true
}
