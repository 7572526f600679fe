package validate

import (
	"fmt"
	"regexp"
	"strconv"
)

// semverPattern is the grammar of semver.org 2.0.0: MAJOR.MINOR.PATCH, an optional pre-release
// and optional build metadata, no leading zeros, no "v" prefix.
var semverPattern = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*)?` +
	`(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$`)

// semver is a parsed version; pre-release and build metadata are dropped, as bumping discards
// them anyway.
type semver struct{ major, minor, patch uint64 }

// parseSemver reads a semver.org 2.0.0 version.
func parseSemver(s string) (semver, bool) {
	m := semverPattern.FindStringSubmatch(s)
	if m == nil {
		return semver{}, false
	}
	var v semver
	var err error
	if v.major, err = strconv.ParseUint(m[1], 10, 64); err != nil {
		return semver{}, false
	}
	if v.minor, err = strconv.ParseUint(m[2], 10, 64); err != nil {
		return semver{}, false
	}
	if v.patch, err = strconv.ParseUint(m[3], 10, 64); err != nil {
		return semver{}, false
	}
	return v, true
}

// bumped returns v raised by bump: 1.2.3 +minor is 1.3.0.
func (v semver) bumped(bump string) semver {
	switch bump {
	case BumpMajor:
		return semver{major: v.major + 1}
	case BumpMinor:
		return semver{major: v.major, minor: v.minor + 1}
	default:
		return semver{major: v.major, minor: v.minor, patch: v.patch + 1}
	}
}

func (v semver) String() string { return fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch) }

// Bumps, from least to most.
const (
	// BumpPatch: only non-structural values (label, description…) changed.
	BumpPatch = "patch"
	// BumpMinor: something was added.
	BumpMinor = "minor"
	// BumpMajor: something was removed or changed incompatibly.
	BumpMajor = "major"
)

// bumpRank orders bumps; "" (no change) is below patch.
func bumpRank(b string) int {
	switch b {
	case BumpPatch:
		return 1
	case BumpMinor:
		return 2
	case BumpMajor:
		return 3
	}
	return 0
}

// maxBump returns the higher of two bumps.
func maxBump(a, b string) string {
	if bumpRank(b) > bumpRank(a) {
		return b
	}
	return a
}
