package pgstore_test

import (
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/apikit-go/apikit/idempotency/pgstore"
)

// A *pgxpool.Pool, the usual handle of a service, is a DB.
var _ pgstore.DB = (*pgxpool.Pool)(nil)
