package checkout

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/ontohub/ontohub/jsoncheck"
	"github.com/ontohub/ontohub/ontology"
)

// Problem is something wrong with one file (or folder) of a checkout as a file: the checkout
// cannot be taken as an ontology while it has one.
type Problem struct {
	// Path is relative to the checkout, with forward slashes.
	Path string
	// Code is a stable snake_case word: unreadable_file, invalid_json, invalid_id, duplicate_id.
	Code string
	// Message says what is wrong.
	Message string
}

// Problem codes.
const (
	CodeUnreadable  = "unreadable_file"
	CodeInvalidJSON = "invalid_json"
	CodeInvalidID   = "invalid_id"
	CodeDuplicateID = "duplicate_id"
)

// JSONLimits are the limits entity files are checked with: strict JSON as jsoncheck defines it.
var JSONLimits = jsoncheck.Limits{}

// Problems returns every problem with the checkout's files as files, in file order: folders that
// are not folders, files that cannot be read (symlinks, too large), files that are not one strict
// JSON object, ids that are not NFC, hold control characters or surrounding spaces, and ids of
// one kind that differ only in case or Unicode normalization (both files named). A file with a
// problem has no usable content; everything else about content is the validation engine's.
func (c *Checkout) Problems() []Problem {
	out := append([]Problem(nil), c.Entries...)
	for _, f := range c.Files {
		if p, ok := FileProblem(f); ok {
			out = append(out, p)
		}
	}
	for _, s := range c.Schemas {
		if p, ok := FileProblem(s); ok {
			out = append(out, p)
		}
	}
	if c.Version != nil && c.Version.Err != nil {
		out = append(out, Problem{Path: c.Version.Path, Code: CodeUnreadable, Message: c.Version.Err.Error()})
	}
	return append(out, duplicateIDs(c.Files)...)
}

// FileProblem returns the problem with one file as a file, if any (not counting duplicates,
// which need the other files).
func FileProblem(f File) (Problem, bool) {
	problem := func(code, format string, args ...any) (Problem, bool) {
		return Problem{Path: f.Path, Code: code, Message: fmt.Sprintf(format, args...)}, true
	}
	if f.Err != nil {
		return problem(CodeUnreadable, "cannot read: %s", readReason(f))
	}
	if path.Base(f.Path) != schemaFileName {
		if why := IDProblem(f.ID); why != "" {
			return problem(CodeInvalidID, "id %q from the file path %s", f.ID, why)
		}
	}
	if err := jsoncheck.Check(f.Data, JSONLimits); err != nil {
		return problem(CodeInvalidJSON, "invalid JSON: %s", describe(f.Data, err))
	}
	if first := firstByte(f.Data); first != '{' {
		return problem(CodeInvalidJSON, "top level is not a JSON object")
	}
	return Problem{}, false
}

func readReason(f File) string {
	switch {
	case errors.Is(f.Err, ErrSymlink):
		return "symbolic links are not followed"
	case errors.Is(f.Err, ErrTooLarge), errors.Is(f.Err, ErrNotRegular):
		return f.Err.Error()
	}
	return f.Err.Error()
}

func firstByte(data []byte) byte {
	for _, c := range data {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}

// describe adds the line and column to a jsoncheck error, which knows only the byte offset.
func describe(data []byte, err error) string {
	var jerr *jsoncheck.Error
	if !errors.As(err, &jerr) {
		return err.Error()
	}
	before := data[:min(jerr.Offset, len(data))]
	line := strings.Count(string(before), "\n") + 1
	column := len(before) - strings.LastIndexByte(string(before), '\n')
	where := ""
	if jerr.Pointer != "" {
		where = " at " + jerr.Pointer
	}
	return fmt.Sprintf("line %d, column %d%s: %s", line, column, where, jerr.Reason)
}

// IDProblem says what makes id unusable as an entity id, or "": empty, not in Unicode NFC (two
// spellings of one name would be two entities), holding a control or invisible formatting
// character, or a path segment that is empty, has surrounding spaces, is . or .., or is .git.
func IDProblem(id string) string {
	switch {
	case id == "":
		return "is empty"
	case !utf8.ValidString(id):
		return "is not valid UTF-8"
	case !norm.NFC.IsNormalString(id):
		return "is not in Unicode normalization form NFC"
	case strings.ContainsFunc(id, unicode.IsControl):
		return "holds a control character"
	case strings.ContainsFunc(id, invisible):
		// Zero-width spaces and joiners, direction marks, fillers: two ids that look alike but differ.
		return "holds an invisible character"
	case strings.ContainsAny(id, `\:`):
		// A backslash is a path separator and a colon a stream name on Windows: git refuses both
		// in the paths it checks out there, and no repository file is named so.
		return `holds a "\\" or ":"`
	}
	for _, segment := range strings.Split(id, "/") {
		switch {
		case segment == "" || strings.TrimSpace(segment) != segment:
			return "has an empty path segment or one with surrounding spaces"
		case segment == "." || segment == "..":
			return "has a . or .. path segment"
		case strings.HasSuffix(segment, "."):
			// Windows drops trailing dots: ".git." is ".git" there, and git refuses it everywhere.
			return "has a path segment ending in a dot"
		case strings.EqualFold(segment, ".git"), strings.EqualFold(segment, "git~1"):
			// git refuses to check out a path with a .git segment, in any case, or its 8.3 name.
			return "has a .git path segment, which git cannot check out"
		}
	}
	return ""
}

// invisible reports whether r shows as nothing: format characters (zero-width space, joiners,
// direction marks), the other default-ignorable code points (variation selectors, the combining
// grapheme joiner, Hangul fillers) and the blank braille pattern.
func invisible(r rune) bool {
	return unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) ||
		unicode.Is(unicode.Variation_Selector, r) || r == '\u2800'
}

// FoldID is the key under which ids of one kind must be unique: NFC, then case-folded.
func FoldID(id string) string {
	return strings.ToLower(norm.NFC.String(id))
}

// duplicateIDs finds ids of one kind that fold to the same key (Person and person; profiles/X
// and bundles/X), naming both files.
func duplicateIDs(files []File) []Problem {
	var out []Problem
	first := map[[2]string]File{}
	for _, f := range files {
		key := [2]string{string(f.Kind), FoldID(f.ID)}
		if other, dup := first[key]; dup {
			out = append(out, Problem{Path: f.Path, Code: CodeDuplicateID,
				Message: fmt.Sprintf("%s id %q clashes with %q of %s (ids of one kind must differ in more than case or Unicode normalization)", f.Kind, f.ID, other.ID, other.Path)})
			continue
		}
		first[key] = f
	}
	return out
}

// KindOf returns the kind of an entity file path ("categories/Person.json"), with its id.
func KindOf(relPath string) (ontology.Kind, string, bool) {
	folder, rest, ok := strings.Cut(relPath, "/")
	if !ok || !strings.HasSuffix(rest, ".json") {
		return "", "", false
	}
	kind, ok := ontology.KindOfFolder(folder)
	return kind, strings.TrimSuffix(rest, ".json"), ok
}
