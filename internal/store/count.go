package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strings"
	"sync"
)

// Counts tallies what the database ran for the contexts that carry it
// (WithCounts), on a database opened with Counted. Tests bound what a
// request costs the database with it: every statement still runs on the
// real database, and only the request's own work is counted, not the
// background workers' that share the pool.
type Counts struct {
	mu sync.Mutex
	t  Tally
}

// Tally is what Counts saw.
type Tally struct {
	// Statements run (ExecContext, QueryContext, or a prepared
	// statement's Exec and Query), inside transactions or not; BEGIN and
	// COMMIT are not among them.
	Statements int
	// Commits counts the commits that write: transactions committed, and
	// statements that write (not a SELECT, nor a WITH that only reads) run
	// outside a transaction, each of which commits on its own.
	Commits int
	// Rollbacks counts transactions rolled back.
	Rollbacks int
	// SQL is each statement's text, in order, for failure messages.
	SQL []string
}

// String lists the statements, one a line, marking those that committed
// on their own.
func (t Tally) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d statements, %d commits, %d rollbacks:", t.Statements, t.Commits, t.Rollbacks)
	for _, q := range t.SQL {
		b.WriteString("\n\t" + strings.Join(strings.Fields(q), " "))
	}
	return b.String()
}

// Take returns what was counted since the last Take and starts again.
func (c *Counts) Take() Tally {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.t
	c.t = Tally{}
	return t
}

func (c *Counts) statement(query string, alone bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t.Statements++
	c.t.SQL = append(c.t.SQL, query)
	if alone && !isRead(query) {
		c.t.Commits++
		c.t.SQL[len(c.t.SQL)-1] += " -- committed alone"
	}
}

func (c *Counts) ended(committed bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if committed {
		c.t.Commits++
		c.t.SQL = append(c.t.SQL, "COMMIT")
	} else {
		c.t.Rollbacks++
		c.t.SQL = append(c.t.SQL, "ROLLBACK")
	}
}

// isRead reports whether a statement only reads: a SELECT, or a WITH
// whose parts modify nothing.
func isRead(query string) bool {
	words := strings.FieldsFunc(strings.ToUpper(query), func(r rune) bool {
		return (r < 'A' || r > 'Z') && r != '_'
	})
	if len(words) == 0 {
		return false
	}
	switch words[0] {
	case "SELECT":
		return true
	case "WITH":
		for _, w := range words {
			if w == "INSERT" || w == "UPDATE" || w == "DELETE" {
				return false
			}
		}
		return true
	}
	return false
}

type countsKey struct{}

// WithCounts returns a context whose statements c counts, on a database
// opened with Counted.
func WithCounts(ctx context.Context, c *Counts) context.Context {
	return context.WithValue(ctx, countsKey{}, c)
}

func countsOf(ctx context.Context) *Counts {
	c, _ := ctx.Value(countsKey{}).(*Counts)
	return c
}

// Option changes how Open opens a database.
type Option func(*options)

type options struct {
	counted bool
}

// Counted opens the database behind a driver wrapper that counts the
// statements and commits of contexts carrying Counts (WithCounts). It is
// for tests: the wrapper costs a context lookup per statement.
func Counted() Option { return func(o *options) { o.counted = true } }

// counted reopens sqldb, not yet connected, behind the counting wrapper.
func counted(sqldb *sql.DB, dsn string) (*sql.DB, error) {
	drv := sqldb.Driver()
	sqldb.Close()
	var base driver.Connector = dsnConnector{drv: drv, dsn: dsn}
	if dc, ok := drv.(driver.DriverContext); ok {
		c, err := dc.OpenConnector(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: open counted: %w", err)
		}
		base = c
	}
	return sql.OpenDB(countingConnector{base}), nil
}

type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

type countingConnector struct{ driver.Connector }

func (c countingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &countingConn{inner: conn}, nil
}

func (c countingConnector) Close() error {
	if cl, ok := c.Connector.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

// countingConn forwards every optional interface database/sql uses, so
// that the driver behaves as it does unwrapped. Both drivers implement the
// context-taking methods; a driver without one gets driver.ErrSkip or an
// error, never a silent fallback that would run a statement uncounted.
// database/sql uses a connection from one goroutine at a time, so inTx
// needs no lock.
type countingConn struct {
	inner driver.Conn
	inTx  bool
}

var (
	_ driver.ConnBeginTx        = (*countingConn)(nil)
	_ driver.ConnPrepareContext = (*countingConn)(nil)
	_ driver.ExecerContext      = (*countingConn)(nil)
	_ driver.QueryerContext     = (*countingConn)(nil)
	_ driver.Pinger             = (*countingConn)(nil)
	_ driver.SessionResetter    = (*countingConn)(nil)
	_ driver.Validator          = (*countingConn)(nil)
	_ driver.NamedValueChecker  = (*countingConn)(nil)
)

// Unwrap returns the driver's connection.
func (c *countingConn) Unwrap() driver.Conn { return c.inner }

func (c *countingConn) count(ctx context.Context, query string) {
	if n := countsOf(ctx); n != nil {
		n.statement(query, !c.inTx)
	}
}

func (c *countingConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *countingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	p, ok := c.inner.(driver.ConnPrepareContext)
	if !ok {
		return nil, fmt.Errorf("store: counting needs a driver with PrepareContext")
	}
	s, err := p.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	return &countingStmt{Stmt: s, conn: c, query: query}, nil
}

func (c *countingConn) Close() error { return c.inner.Close() }

func (c *countingConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *countingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	b, ok := c.inner.(driver.ConnBeginTx)
	if !ok {
		return nil, fmt.Errorf("store: counting needs a driver with BeginTx")
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.inTx = true
	return &countingTx{Tx: tx, conn: c, counts: countsOf(ctx)}, nil
}

func (c *countingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	e, ok := c.inner.(driver.ExecerContext)
	if !ok {
		return nil, driver.ErrSkip // database/sql prepares it: countingStmt counts it
	}
	res, err := e.ExecContext(ctx, query, args)
	if err != driver.ErrSkip {
		c.count(ctx, query)
	}
	return res, err
}

func (c *countingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := c.inner.(driver.QueryerContext)
	if !ok {
		return nil, driver.ErrSkip
	}
	rows, err := q.QueryContext(ctx, query, args)
	if err != driver.ErrSkip {
		c.count(ctx, query)
	}
	return rows, err
}

func (c *countingConn) Ping(ctx context.Context) error {
	if p, ok := c.inner.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *countingConn) ResetSession(ctx context.Context) error {
	if r, ok := c.inner.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *countingConn) IsValid() bool {
	if v, ok := c.inner.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

// CheckNamedValue lets the driver convert arguments as it would unwrapped
// (pgx takes any value); ErrSkip makes database/sql use its default.
func (c *countingConn) CheckNamedValue(nv *driver.NamedValue) error {
	if v, ok := c.inner.(driver.NamedValueChecker); ok {
		return v.CheckNamedValue(nv)
	}
	return driver.ErrSkip
}

type countingTx struct {
	driver.Tx
	conn   *countingConn
	counts *Counts
}

func (t *countingTx) Commit() error {
	t.conn.inTx = false
	err := t.Tx.Commit()
	if t.counts != nil {
		t.counts.ended(err == nil)
	}
	return err
}

func (t *countingTx) Rollback() error {
	t.conn.inTx = false
	err := t.Tx.Rollback()
	if t.counts != nil {
		t.counts.ended(false)
	}
	return err
}

type countingStmt struct {
	driver.Stmt
	conn  *countingConn
	query string
}

var (
	_ driver.StmtExecContext  = (*countingStmt)(nil)
	_ driver.StmtQueryContext = (*countingStmt)(nil)
)

func (s *countingStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	e, ok := s.Stmt.(driver.StmtExecContext)
	if !ok {
		return nil, fmt.Errorf("store: counting needs a driver whose statements take a context")
	}
	s.conn.count(ctx, s.query)
	return e.ExecContext(ctx, args)
}

func (s *countingStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	q, ok := s.Stmt.(driver.StmtQueryContext)
	if !ok {
		return nil, fmt.Errorf("store: counting needs a driver whose statements take a context")
	}
	s.conn.count(ctx, s.query)
	return q.QueryContext(ctx, args)
}
