package ingest

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strings"
)

// shaPattern accepts full SHA-1 and SHA-256 object names and abbreviations of them.
var shaPattern = regexp.MustCompile(`^[0-9a-fA-F]{4,64}$`)

// CommitSHA decides which commit a snapshot of dir comes from: flag when it
// is set (it must look like a commit hash), else HEAD of the git checkout dir
// is in, else nil. Not being a git checkout is not an error, and neither is a
// missing git binary or a repository without commits: the snapshot just has
// no commit.
func CommitSHA(ctx context.Context, dir, flag string) (*string, error) {
	if flag = strings.TrimSpace(flag); flag != "" {
		if !shaPattern.MatchString(flag) {
			return nil, fmt.Errorf("ingest: --commit %q is not a commit hash", flag)
		}
		return &flag, nil
	}
	out, err := exec.CommandContext(ctx, "git", "-C", dir, "rev-parse", "--verify", "--quiet", "HEAD").Output()
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("ingest: commit of %s: %w", dir, ctxErr)
		}
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) || errors.Is(err, exec.ErrNotFound) {
			return nil, nil
		}
		return nil, fmt.Errorf("ingest: commit of %s: %w", dir, err)
	}
	sha := strings.TrimSpace(string(out))
	if !shaPattern.MatchString(sha) {
		return nil, fmt.Errorf("ingest: commit of %s: git rev-parse printed %q", dir, sha)
	}
	return &sha, nil
}
