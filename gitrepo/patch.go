package gitrepo

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"net/mail"
	"path"
	"sort"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	fdiff "github.com/go-git/go-git/v5/plumbing/format/diff"
	"github.com/go-git/go-git/v5/utils/diff"
	"github.com/sergi/go-diff/diffmatchpatch"
)

// FileChange is one file of a change set.
type FileChange struct {
	// Path is the file's path from the repository root, with forward slashes.
	Path string
	// Before is the file at the base commit; nil when the change creates it.
	Before []byte
	// After is the file as the change leaves it; nil when the change deletes it.
	After []byte
}

// Author names who a commit or patch is from.
type Author struct {
	Name  string
	Email string
}

// ChangeSet is a set of file changes on top of a base commit, with the commit message that
// describes them.
type ChangeSet struct {
	// Base is the hash of the commit the changes apply to.
	Base string
	// Files are the changes, at most one per path.
	Files []FileChange
	// Subject is the message's first line; Body the rest ("" for none).
	Subject string
	Body    string
	Author  Author
	// Date is the commit's and the patch's date; the zero time means now.
	Date time.Time
}

// ErrInvalidChangeSet marks a change set that cannot become a commit or a patch.
var ErrInvalidChangeSet = errors.New("gitrepo: invalid change set")

// check refuses what no commit can hold and returns the files in path order.
func (cs ChangeSet) check() ([]FileChange, error) {
	if !shaPattern(cs.Base) {
		return nil, fmt.Errorf("%w: base %q is not a commit hash", ErrInvalidChangeSet, cs.Base)
	}
	if strings.TrimSpace(cs.Subject) == "" || strings.ContainsAny(cs.Subject, "\r\n") {
		return nil, fmt.Errorf("%w: the subject must be one non-empty line", ErrInvalidChangeSet)
	}
	if cs.Author.Name == "" || cs.Author.Email == "" {
		return nil, fmt.Errorf("%w: the author needs a name and an email", ErrInvalidChangeSet)
	}
	var files []FileChange
	for _, f := range cs.Files {
		if f.Before != nil && f.After != nil && bytes.Equal(f.Before, f.After) {
			continue // no change
		}
		files = append(files, f)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	if len(files) == 0 {
		return nil, fmt.Errorf("%w: no changes", ErrInvalidChangeSet)
	}
	for i, f := range files {
		clean := path.Clean(f.Path)
		if f.Path == "" || clean != f.Path || path.IsAbs(f.Path) || clean == "." || strings.HasPrefix(clean, "../") ||
			strings.ContainsAny(f.Path, "\x00\\\n") || strings.HasPrefix(f.Path, ".git/") || f.Path == ".git" {
			return nil, fmt.Errorf("%w: path %q", ErrInvalidChangeSet, f.Path)
		}
		if i > 0 && files[i-1].Path == f.Path {
			return nil, fmt.Errorf("%w: %s changed twice", ErrInvalidChangeSet, f.Path)
		}
		if f.Before == nil && f.After == nil {
			return nil, fmt.Errorf("%w: %s is neither before nor after", ErrInvalidChangeSet, f.Path)
		}
	}
	return files, nil
}

func shaPattern(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// message is the full commit message.
func (cs ChangeSet) message() string {
	if body := strings.TrimSpace(cs.Body); body != "" {
		return cs.Subject + "\n\n" + body + "\n"
	}
	return cs.Subject + "\n"
}

func (cs ChangeSet) date() time.Time {
	if cs.Date.IsZero() {
		return time.Now()
	}
	return cs.Date
}

// Patch writes the change set as one `git format-patch` email (text/x-patch): From line,
// headers, the message, a diffstat, the unified diff of every file and the base commit, so that
// `git am` applies it to a checkout of Base. The From line carries no commit hash (the commit
// does not exist yet): forty zeros stand in for it.
func Patch(cs ChangeSet) ([]byte, error) {
	files, err := cs.check()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From %s Mon Sep 17 00:00:00 2001\n", plumbing.ZeroHash)
	fmt.Fprintf(&b, "From: %s\n", (&mail.Address{Name: cs.Author.Name, Address: cs.Author.Email}).String())
	fmt.Fprintf(&b, "Date: %s\n", cs.date().Format("Mon, 2 Jan 2006 15:04:05 -0700"))
	fmt.Fprintf(&b, "Subject: %s\n", mime.QEncoding.Encode("UTF-8", "[PATCH] "+cs.Subject))
	b.WriteString("MIME-Version: 1.0\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n")
	if body := strings.TrimSpace(cs.Body); body != "" {
		b.WriteString(body)
		b.WriteString("\n")
	}
	b.WriteString("---\n")
	patches := make([]fdiff.FilePatch, len(files))
	for i, f := range files {
		patches[i] = newFilePatch(f)
	}
	writeDiffstat(&b, patches)
	b.WriteString("\n")
	if err := fdiff.NewUnifiedEncoder(&b, fdiff.DefaultContextLines).Encode(filePatches(patches)); err != nil {
		return nil, fmt.Errorf("gitrepo: patch: %w", err)
	}
	fmt.Fprintf(&b, "\nbase-commit: %s\n-- \nontohub\n\n", cs.Base)
	return b.Bytes(), nil
}

// filePatches is a diff.Patch of file patches, without a message.
type filePatches []fdiff.FilePatch

func (p filePatches) FilePatches() []fdiff.FilePatch { return p }
func (p filePatches) Message() string                { return "" }

// blobFile is one side of a file patch.
type blobFile struct {
	path    string
	content []byte
}

func (f blobFile) Hash() plumbing.Hash     { return plumbing.ComputeHash(plumbing.BlobObject, f.content) }
func (f blobFile) Mode() filemode.FileMode { return filemode.Regular }
func (f blobFile) Path() string            { return f.path }

// filePatch is the line diff of one FileChange.
type filePatch struct {
	from, to fdiff.File
	chunks   []fdiff.Chunk
	// added and deleted count lines, for the diffstat.
	added, deleted int
}

type chunk struct {
	content string
	op      fdiff.Operation
}

func (c chunk) Content() string            { return c.content }
func (c chunk) Type() fdiff.Operation      { return c.op }
func (p *filePatch) IsBinary() bool        { return false }
func (p *filePatch) Chunks() []fdiff.Chunk { return p.chunks }
func (p *filePatch) Files() (from, to fdiff.File) {
	return p.from, p.to
}

func newFilePatch(f FileChange) *filePatch {
	p := &filePatch{}
	if f.Before != nil {
		p.from = blobFile{path: f.Path, content: f.Before}
	}
	if f.After != nil {
		p.to = blobFile{path: f.Path, content: f.After}
	}
	for _, d := range diff.Do(string(f.Before), string(f.After)) {
		lines := strings.Count(d.Text, "\n")
		if !strings.HasSuffix(d.Text, "\n") {
			lines++
		}
		switch d.Type {
		case diffmatchpatch.DiffEqual:
			p.chunks = append(p.chunks, chunk{d.Text, fdiff.Equal})
		case diffmatchpatch.DiffInsert:
			p.chunks = append(p.chunks, chunk{d.Text, fdiff.Add})
			p.added += lines
		case diffmatchpatch.DiffDelete:
			p.chunks = append(p.chunks, chunk{d.Text, fdiff.Delete})
			p.deleted += lines
		}
	}
	return p
}

// writeDiffstat writes git's summary of changed lines per file.
func writeDiffstat(b *bytes.Buffer, patches []fdiff.FilePatch) {
	width := 0
	for _, fp := range patches {
		from, to := fp.Files()
		if n := len(pathOf(from, to)); n > width {
			width = n
		}
	}
	var added, deleted int
	for _, fp := range patches {
		p := fp.(*filePatch)
		added += p.added
		deleted += p.deleted
		fmt.Fprintf(b, " %-*s | %d %s%s\n", width, pathOf(p.from, p.to), p.added+p.deleted,
			strings.Repeat("+", min(p.added, 40)), strings.Repeat("-", min(p.deleted, 40)))
	}
	fmt.Fprintf(b, " %d %s changed, %d %s(+), %d %s(-)\n", len(patches), plural(len(patches), "file", "files"),
		added, plural(added, "insertion", "insertions"), deleted, plural(deleted, "deletion", "deletions"))
}

func pathOf(from, to fdiff.File) string {
	if to != nil {
		return to.Path()
	}
	return from.Path()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
