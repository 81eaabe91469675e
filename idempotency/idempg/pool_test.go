package idempg_test

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/apikit-go/apikit/idempotency/idempg"
)

// A *pgxpool.Pool, the usual handle of a service, is a DB.
var _ idempg.DB = (*pgxpool.Pool)(nil)
