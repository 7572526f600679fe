// Package checkout reads a schema-repository checkout from disk: the entity files of the eight
// kinds, the _schema.json of each kind folder and the VERSION file, within size limits and
// without following symbolic links. It judges files only as files (readable, strict JSON, an
// object, a usable id); what their content means is for the validation engine.
//
// A checkout is untrusted input once it comes from a git remote: one commit can add a symlink to
// /dev/zero or to a secret on the server, or a file of gigabytes. Read refuses symlinks (naming
// them), refuses files over Limits.MaxFileBytes without reading them, and stops once the files
// read add up to Limits.MaxTotalBytes.
package checkout

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/ontohub/ontohub/ontology"
)

// Limits bound what Read reads.
type Limits struct {
	// MaxFileBytes is the largest file read; larger ones are problems. 0 means DefaultMaxFileBytes.
	MaxFileBytes int64
	// MaxTotalBytes bounds the bytes of all files together; past it Read fails. 0 means
	// DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// MaxFiles bounds the number of files; past it Read fails. 0 means DefaultMaxFiles.
	MaxFiles int
}

// Defaults of Limits: an entity file is a few kilobytes; the largest real ontology is a few
// megabytes in all.
const (
	DefaultMaxFileBytes  = 1 << 20
	DefaultMaxTotalBytes = 512 << 20
	DefaultMaxFiles      = 1_000_000
)

func (l Limits) withDefaults() Limits {
	if l.MaxFileBytes <= 0 {
		l.MaxFileBytes = DefaultMaxFileBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = DefaultMaxTotalBytes
	}
	if l.MaxFiles <= 0 {
		l.MaxFiles = DefaultMaxFiles
	}
	return l
}

// Sentinel causes of File.Err.
var (
	// ErrSymlink is the cause of a file or folder that is a symbolic link.
	ErrSymlink = errors.New("is a symbolic link (not followed)")
	// ErrTooLarge is the cause of a file over Limits.MaxFileBytes.
	ErrTooLarge = errors.New("file too large")
	// ErrNotRegular is the cause of an entry that is neither a folder nor a regular file.
	ErrNotRegular = errors.New("is not a regular file")
)

// File is one file of the checkout.
type File struct {
	// Kind is the kind of entity the file's folder holds.
	Kind ontology.Kind
	// ID is the entity id its path gives: the path below the kind folder, without ".json".
	ID string
	// Path is the path relative to the checkout, with forward slashes.
	Path string
	// Data is the file's content; nil when Err is set.
	Data []byte
	// Err says why the file could not be read (wrapping ErrSymlink, ErrTooLarge, ErrNotRegular or
	// an I/O error); nil for a file that was read.
	Err error
}

// Checkout is what Read found.
type Checkout struct {
	// Dir is the folder read.
	Dir string
	// BundleFolder is the folder bundles came from: "bundles", or "profiles" in the older layout
	// ("bundles" when there are none).
	BundleFolder string
	// Files are the entity files, ordered by kind (ontology.Kinds) and then by path.
	Files []File
	// Schemas holds the _schema.json of each kind folder that has one.
	Schemas map[ontology.Kind]File
	// Version is the VERSION file at the root, nil when there is none.
	Version *File
	// Entries are the other problems met while walking: a kind folder that is a file or a
	// symlink, an entry that is not a regular file.
	Entries []Problem
}

// schemaFileName names the JSON Schema of a kind folder; it is not an entity.
const schemaFileName = "_schema.json"

// versionsFolder holds release snapshots of a module or bundle; nothing in it is an entity.
const versionsFolder = "versions"

// Read reads the checkout in dir. It fails when dir is not a folder, holds no kind folder at
// all (a mistyped path must not look like an empty repository, whose ingest would delete
// everything), or exceeds the total limits; problems with single files are recorded on them.
func Read(dir string, lim Limits) (*Checkout, error) {
	info, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("checkout: %s does not exist", dir)
		}
		return nil, fmt.Errorf("checkout: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("checkout: %s is not a directory", dir)
	}
	r := &reader{dir: dir, lim: lim.withDefaults(), co: &Checkout{Dir: dir, BundleFolder: ontology.KindBundle.Folder(), Schemas: map[ontology.Kind]File{}}}
	found := 0
	for _, kind := range ontology.Kinds {
		folders := []string{kind.Folder()}
		if kind == ontology.KindBundle {
			folders = []string{ontology.ProfilesFolder, kind.Folder()}
		}
		for _, folder := range folders {
			ok, err := r.readKindFolder(kind, folder)
			if err != nil {
				return nil, fmt.Errorf("checkout: %w", err)
			}
			if ok {
				found++
			}
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("checkout: no kind folder (%s) in %s", strings.Join(kindFolders(), ", "), dir)
	}
	// The older layout keeps bundles in profiles/: new bundles go where the existing ones are.
	for _, f := range r.co.Files {
		if f.Kind == ontology.KindBundle && strings.HasPrefix(f.Path, ontology.ProfilesFolder+"/") {
			r.co.BundleFolder = ontology.ProfilesFolder
			break
		}
	}
	if err := r.readVersion(); err != nil {
		return nil, fmt.Errorf("checkout: %w", err)
	}
	return r.co, nil
}

func kindFolders() []string {
	var out []string
	for _, k := range ontology.Kinds {
		out = append(out, k.Folder()+"/")
	}
	return append(out, ontology.ProfilesFolder+"/")
}

type reader struct {
	dir   string
	lim   Limits
	co    *Checkout
	total int64
	files int
}

// readKindFolder reads every entity file below one kind folder and reports whether it exists.
func (r *reader) readKindFolder(kind ontology.Kind, folder string) (bool, error) {
	info, err := os.Lstat(filepath.Join(r.dir, folder))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	switch {
	case info.Mode()&fs.ModeSymlink != 0:
		r.co.Entries = append(r.co.Entries, Problem{Path: folder, Code: CodeUnreadable, Message: ErrSymlink.Error()})
		return true, nil
	case !info.IsDir():
		r.co.Entries = append(r.co.Entries, Problem{Path: folder, Code: CodeUnreadable, Message: fmt.Sprintf("is a file, expected a folder of %s files", kind)})
		return true, nil
	}
	return true, r.walk(kind, folder, "")
}

// walk reads the folder folder/sub. fs.ReadDir sorts by name and does not follow symlinks, so
// files come in a stable order and a link is seen as a link.
func (r *reader) walk(kind ontology.Kind, folder, sub string) error {
	rel := path.Join(folder, sub)
	entries, err := os.ReadDir(filepath.Join(r.dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	for _, entry := range entries {
		name := entry.Name()
		relPath := path.Join(rel, name)
		subPath := path.Join(sub, name)
		switch {
		case entry.Type()&fs.ModeSymlink != 0:
			if strings.HasSuffix(name, ".json") {
				r.add(kind, subPath, relPath, nil, fmt.Errorf("%s %w", relPath, ErrSymlink))
			} else {
				r.co.Entries = append(r.co.Entries, Problem{Path: relPath, Code: CodeUnreadable, Message: ErrSymlink.Error()})
			}
		case entry.IsDir():
			if name == versionsFolder {
				continue
			}
			if err := r.walk(kind, folder, subPath); err != nil {
				return err
			}
		case !strings.HasSuffix(name, ".json"):
			// README.md and the like: not part of the ontology.
		case name == schemaFileName && sub == "":
			data, err := r.readFile(relPath)
			r.co.Schemas[kind] = File{Kind: kind, Path: relPath, Data: data, Err: err}
		case !entry.Type().IsRegular():
			r.add(kind, subPath, relPath, nil, fmt.Errorf("%s %w", relPath, ErrNotRegular))
		default:
			data, err := r.readFile(relPath)
			if errors.Is(err, errTotal) {
				return err
			}
			r.add(kind, subPath, relPath, data, err)
		}
	}
	return nil
}

func (r *reader) add(kind ontology.Kind, subPath, relPath string, data []byte, err error) {
	r.co.Files = append(r.co.Files, File{Kind: kind, ID: strings.TrimSuffix(subPath, ".json"), Path: relPath, Data: data, Err: err})
}

// errTotal ends a read that passed the total limits.
var errTotal = errors.New("checkout exceeds its size limits")

// readFile reads one regular file of the checkout, refusing it when it is larger than the limit
// (without reading it: a file may be huge or endless) and failing when the total limits pass.
func (r *reader) readFile(relPath string) ([]byte, error) {
	r.files++
	if r.files > r.lim.MaxFiles {
		return nil, fmt.Errorf("%w: more than %d files", errTotal, r.lim.MaxFiles)
	}
	// Only a regular file is opened: opening a FIFO would block. O_NOFOLLOW is not portable
	// through os; Lstat-then-open leaves a window in which the entry could be swapped for a link
	// or a FIFO, so the opened file is checked again with Stat (git can store neither a FIFO nor
	// a swap; the window matters only for a local folder someone changes meanwhile).
	if info, err := os.Lstat(filepath.Join(r.dir, filepath.FromSlash(relPath))); err != nil {
		return nil, err
	} else if !info.Mode().IsRegular() {
		if info.Mode()&fs.ModeSymlink != 0 {
			return nil, fmt.Errorf("%s %w", relPath, ErrSymlink)
		}
		return nil, fmt.Errorf("%s %w", relPath, ErrNotRegular)
	}
	f, err := os.Open(filepath.Join(r.dir, filepath.FromSlash(relPath)))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s %w", relPath, ErrNotRegular)
	}
	if info.Size() > r.lim.MaxFileBytes {
		return nil, fmt.Errorf("%s: %w (%d bytes, the limit is %d)", relPath, ErrTooLarge, info.Size(), r.lim.MaxFileBytes)
	}
	// The file may grow after Stat; read at most one byte past the limit to notice.
	data, err := io.ReadAll(io.LimitReader(f, r.lim.MaxFileBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > r.lim.MaxFileBytes {
		return nil, fmt.Errorf("%s: %w (more than %d bytes)", relPath, ErrTooLarge, r.lim.MaxFileBytes)
	}
	r.total += int64(len(data))
	if r.total > r.lim.MaxTotalBytes {
		return nil, fmt.Errorf("%w: more than %d bytes in all", errTotal, r.lim.MaxTotalBytes)
	}
	return data, nil
}

// readVersion reads the VERSION file at the root, when there is one.
func (r *reader) readVersion() error {
	info, err := os.Lstat(filepath.Join(r.dir, "VERSION"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	v := &File{Path: "VERSION"}
	if info.Mode()&fs.ModeSymlink != 0 {
		v.Err = fmt.Errorf("VERSION %w", ErrSymlink)
	} else {
		v.Data, v.Err = r.readFile("VERSION")
		if errors.Is(v.Err, errTotal) {
			return v.Err
		}
	}
	r.co.Version = v
	return nil
}

// VersionString returns the trimmed content of VERSION, "" when there is none or it is unreadable.
func (c *Checkout) VersionString() string {
	if c.Version == nil || c.Version.Err != nil {
		return ""
	}
	return strings.TrimSpace(string(c.Version.Data))
}

// Kinds returns the kinds that have at least one file, in order.
func (c *Checkout) Kinds() []ontology.Kind {
	var out []ontology.Kind
	for _, f := range c.Files {
		if !slices.Contains(out, f.Kind) {
			out = append(out, f.Kind)
		}
	}
	return out
}
