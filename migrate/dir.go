package migrate

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"

	atlasmigrate "ariga.io/atlas/sql/migrate"
)

// fsDir is a read-only Atlas migration directory over an fs.FS: the embedded
// migrations.FS or os.DirFS of a directory given on the command line. Like Atlas's
// LocalDir it holds the *.sql files at its top level, ordered by name.
type fsDir struct {
	fs.FS
}

var _ atlasmigrate.Dir = fsDir{}

// WriteFile refuses: migrations are only written by Diff, into a directory on disk.
func (fsDir) WriteFile(name string, _ []byte) error {
	return fmt.Errorf("migrate: cannot write %s: migration directory is read-only", name)
}

// Files returns the migration files ordered by name (which starts with the version).
func (d fsDir) Files() ([]atlasmigrate.File, error) {
	names, err := fs.Glob(d.FS, "*.sql")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	files := make([]atlasmigrate.File, 0, len(names))
	for _, name := range names {
		b, err := fs.ReadFile(d.FS, name)
		if err != nil {
			return nil, err
		}
		files = append(files, atlasmigrate.NewLocalFile(name, b))
	}
	return files, nil
}

// Checksum computes the atlas.sum contents the files should have.
func (d fsDir) Checksum() (atlasmigrate.HashFile, error) {
	files, err := d.Files()
	if err != nil {
		return nil, err
	}
	return atlasmigrate.NewHashFile(files)
}

// validate checks that dir is readable and that its atlas.sum matches its files, with
// an error that says which file is off. path names the directory in messages. Only
// Diff, which writes the first migration, may start from an empty directory.
func validate(dir atlasmigrate.Dir, path string, allowEmpty bool) error {
	files, err := dir.Files()
	if err != nil {
		return fmt.Errorf("migrate: bad migration directory %s: %w", path, err)
	}
	if len(files) == 0 && !allowEmpty {
		return fmt.Errorf("migrate: bad migration directory %s: no migration files", path)
	}
	err = atlasmigrate.Validate(dir)
	var sumErr *atlasmigrate.ChecksumError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &sumErr):
		return fmt.Errorf("migrate: %s/%s does not match the migration files: %s was %s (regenerate with migrate diff; never edit an applied migration)",
			path, atlasmigrate.HashFileName, sumErr.File, sumErr.Reason)
	case errors.Is(err, atlasmigrate.ErrChecksumNotFound):
		return fmt.Errorf("migrate: %s/%s is missing", path, atlasmigrate.HashFileName)
	case errors.Is(err, atlasmigrate.ErrChecksumMismatch), errors.Is(err, atlasmigrate.ErrChecksumFormat):
		return fmt.Errorf("migrate: %s/%s does not match the migration files: %w", path, atlasmigrate.HashFileName, err)
	default:
		return fmt.Errorf("migrate: bad migration directory %s: %w", path, err)
	}
}
