package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Module is one live module.
type Module struct {
	ID          uuid.UUID
	ModuleID    string
	Label       string
	Description *string
	// CategoryIDs are the categories the module lists, in file order.
	CategoryIDs []string
	// Dependencies are the modules it declares, in file order.
	Dependencies     []string
	SchemaDefinition json.RawMessage
	CommitSHA        *string
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// moduleColumns are the columns scanned into a Module, in its field order.
const moduleColumns = `id, module_id, label, description, category_ids, dependencies, schema_definition, commit_sha, created_at, updated_at`

// ModulePage is one page of modules.
type ModulePage = Page[Module]

const modulesSQL = `
SELECT ` + moduleColumns + `
FROM modules
WHERE deleted_at IS NULL
	AND module_id > $1
ORDER BY module_id
LIMIT $2`

// Modules returns one page of live modules ordered by module_id, those after after ("" for the
// first page: ids are never empty, ingest rejects them); keyset pagination as in Entities.
func (s *Store) Modules(ctx context.Context, after string, limit int) (ModulePage, error) {
	page, err := queryPage[Module](ctx, s, limit, modulesSQL, after, limit+1)
	if err != nil {
		return ModulePage{}, fmt.Errorf("store: modules: %w", err)
	}
	return page, nil
}

const moduleSQL = `
SELECT ` + moduleColumns + `
FROM modules
WHERE module_id = $1
	AND deleted_at IS NULL`

// Module returns the live module with the given id, or ErrNotFound.
func (s *Store) Module(ctx context.Context, moduleID string) (Module, error) {
	m, err := queryOne(ctx, s, pgx.RowToStructByPos[Module], moduleSQL, moduleID)
	if err != nil {
		return Module{}, fmt.Errorf("store: module %q: %w", moduleID, err)
	}
	return m, nil
}

// ModuleLink is a live module reduced to what dependency walks need.
type ModuleLink struct {
	ModuleID     string
	Label        string
	Dependencies []string
}

const moduleLinksSQL = `
SELECT module_id, label, dependencies
FROM modules
WHERE deleted_at IS NULL
ORDER BY module_id`

// ModuleLinks returns every live module with its label and declared dependencies, ordered by
// module_id. There are few modules, so dependency closures are computed over all of them.
func (s *Store) ModuleLinks(ctx context.Context) ([]ModuleLink, error) {
	rows, err := s.pool.Query(ctx, moduleLinksSQL)
	if err != nil {
		return nil, fmt.Errorf("store: module links: %w", err)
	}
	links, err := pgx.CollectRows(rows, pgx.RowToStructByPos[ModuleLink])
	if err != nil {
		return nil, fmt.Errorf("store: module links: %w", err)
	}
	return links, nil
}
