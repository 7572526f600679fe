package ingest

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
)

// shaPattern accepts full SHA-1 and SHA-256 object names and abbreviations of them.
var shaPattern = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)

// CommitSHA decides which commit a snapshot of dir comes from: flag when it is set (it must look
// like a commit hash), else HEAD of the git checkout dir is in (go-git, no git binary), else nil.
// Not being a git checkout is not an error, and neither is a repository without commits: the
// snapshot just has no commit.
func CommitSHA(ctx context.Context, dir, flag string) (*string, error) {
	if flag = strings.TrimSpace(flag); flag != "" {
		if !shaPattern.MatchString(flag) {
			return nil, fmt.Errorf("ingest: --commit %q is not a commit hash", flag)
		}
		return &flag, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("ingest: commit of %s: %w", dir, err)
	}
	repo, err := git.PlainOpenWithOptions(dir, &git.PlainOpenOptions{DetectDotGit: true, EnableDotGitCommonDir: true})
	if errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: commit of %s: %w", dir, err)
	}
	head, err := repo.Head()
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ingest: commit of %s: %w", dir, err)
	}
	sha := head.Hash().String()
	return &sha, nil
}
