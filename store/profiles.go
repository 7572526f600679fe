package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Profile is one live profile (a bundle in the newer layout).
type Profile struct {
	ID          uuid.UUID
	ProfileID   string
	Label       string
	Description *string
	// ModuleIDs are the modules the profile lists, in file order.
	ModuleIDs        []string
	SchemaDefinition json.RawMessage
	CommitSHA        *string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// profileColumns are the columns scanned into a Profile, in its field order.
const profileColumns = `id, profile_id, label, description, module_ids, schema_definition, commit_sha, created_at, updated_at`

// ProfilePage is one page of profiles.
type ProfilePage = Page[Profile]

const profilesSQL = `
SELECT ` + profileColumns + `
FROM profiles
WHERE deleted_at IS NULL
	AND profile_id > $1
ORDER BY profile_id
LIMIT $2`

// Profiles returns one page of live profiles ordered by profile_id, those after after ("" for
// the first page: ids are never empty, ingest rejects them); keyset pagination as in Entities.
func (s *Store) Profiles(ctx context.Context, after string, limit int) (ProfilePage, error) {
	page, err := queryPage[Profile](ctx, s, limit, profilesSQL, after, limit+1)
	if err != nil {
		return ProfilePage{}, fmt.Errorf("store: profiles: %w", err)
	}
	return page, nil
}

const profileSQL = `
SELECT ` + profileColumns + `
FROM profiles
WHERE profile_id = $1
	AND deleted_at IS NULL`

// Profile returns the live profile with the given id, or ErrNotFound.
func (s *Store) Profile(ctx context.Context, profileID string) (Profile, error) {
	p, err := queryOne(ctx, s, pgx.RowToStructByPos[Profile], profileSQL, profileID)
	if err != nil {
		return Profile{}, fmt.Errorf("store: profile %q: %w", profileID, err)
	}
	return p, nil
}
