package tlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	_ "modernc.org/sqlite" // the "sqlite" database/sql driver (pure Go)
)

// The duplicate index ("antispam" in tessera's words) answers "is this entry already in the log,
// and at which index?" across restarts. Tessera asks two things of it: a decorator in front of
// Add that answers duplicates from the index, and a follower that tails the integrated log and
// records each entry's identity hash with its index. The index lives in SQL so that the same
// code serves a log on a directory (SQLite file next to the tiles) and a log on MySQL/MariaDB
// (tables next to tessera's own); tessera's Badger index covers only the first, logs to stderr
// and cannot be closed and reopened in one process.

var (
	// ErrAntispam: the duplicate index cannot be opened, read or written (database error); the
	// log should not accept entries until it is fixed.
	ErrAntispam = errors.New("duplicate index")
	// ErrAntispamAhead: the duplicate index has recorded more entries than the log holds, so it
	// belongs to another log (or the log's storage was replaced). Entries are refused: answering
	// duplicates from it would hand out indexes of another tree. Remove the index to rebuild it.
	ErrAntispamAhead = errors.New("duplicate index is ahead of the log (it belongs to another log?)")
	// ErrAntispamBundle: an entry bundle read from the log does not have the entries its
	// coordinates promise, or its identity hashes are not 32 bytes.
	ErrAntispamBundle = errors.New("duplicate index: bad entry bundle")
)

const (
	// defaultAntispamPushback: the follower may lag this many entries behind the integrated tree
	// before new entries are pushed back. It stays below tessera.DefaultAntispamInMemorySize so
	// that, on one front end, every entry not yet followed is still in tessera's in-memory
	// duplicate cache and no duplicate slips through while the follower catches up.
	defaultAntispamPushback = 200_000
	// defaultAntispamBatch: entries recorded per transaction.
	defaultAntispamBatch = 2_000
	// antispamRowsPerInsert: rows per multi-row INSERT (2 parameters each; SQLite allows 32766
	// parameters per statement, MySQL 65535).
	antispamRowsPerInsert = 1_000
	antispamIdle          = 100 * time.Millisecond // caught up: look again after this
	antispamRetry         = 500 * time.Millisecond // after an error
	identityHashSize      = 32
)

// Table names: the MySQL database also holds tessera's tables (Tessera, TreeState, …).
const (
	antispamTable         = "hallmark_antispam"
	antispamProgressTable = "hallmark_antispam_progress"
)

// antispamDialect holds the statements that differ between SQLite and MySQL.
type antispamDialect struct {
	name   string
	schema []string
	// insert is the start of a multi-row insert that keeps the first index recorded for a hash;
	// insertSuffix ends it.
	insert, insertSuffix string
}

var sqliteAntispam = antispamDialect{
	name: "sqlite",
	schema: []string{
		"CREATE TABLE IF NOT EXISTS " + antispamTable + " (hash BLOB NOT NULL PRIMARY KEY, idx INTEGER NOT NULL) WITHOUT ROWID",
		"CREATE TABLE IF NOT EXISTS " + antispamProgressTable + " (id INTEGER NOT NULL PRIMARY KEY CHECK (id = 0), next_idx INTEGER NOT NULL)",
		"INSERT OR IGNORE INTO " + antispamProgressTable + " (id, next_idx) VALUES (0, 0)",
	},
	insert: "INSERT OR IGNORE INTO " + antispamTable + " (hash, idx) VALUES ",
}

var mysqlAntispam = antispamDialect{
	name: "mysql",
	schema: []string{
		"CREATE TABLE IF NOT EXISTS `" + antispamTable + "` (`hash` BINARY(32) NOT NULL, `idx` BIGINT UNSIGNED NOT NULL, PRIMARY KEY (`hash`))",
		"CREATE TABLE IF NOT EXISTS `" + antispamProgressTable + "` (`id` TINYINT UNSIGNED NOT NULL, `next_idx` BIGINT UNSIGNED NOT NULL, PRIMARY KEY (`id`))",
		"INSERT IGNORE INTO `" + antispamProgressTable + "` (`id`, `next_idx`) VALUES (0, 0)",
	},
	// Not INSERT IGNORE: that would also turn real errors (truncation) into warnings.
	insert:       "INSERT INTO `" + antispamTable + "` (`hash`, `idx`) VALUES ",
	insertSuffix: " ON DUPLICATE KEY UPDATE `idx` = `idx`",
}

// SQLAntispam is a persistent duplicate index for a tessera log (it implements
// tessera.Antispam): identity hash → the index the log first gave that entry, kept in SQLite or
// MySQL. Pass it to tessera.AppendOptions.WithAntispam; Close it after the appender is shut down.
type SQLAntispam struct {
	db      *sql.DB
	ownDB   bool
	dialect antispamDialect
	log     *slog.Logger
	// lookupStmt is prepared once: with MySQL an unprepared query with arguments costs three
	// round trips (prepare, execute, close) per Add.
	lookupStmt *sql.Stmt

	pushbackThreshold uint64
	batchSize         uint64
	rowsPerInsert     int

	pushback atomic.Bool
	// fatal, once set, fails every Add: the index cannot be trusted (ErrAntispamAhead).
	fatal atomic.Pointer[error]

	mu        sync.Mutex // guards closed and followers.Add against Close
	closed    bool
	closing   chan struct{}
	followers sync.WaitGroup
}

// AntispamOption configures an SQLAntispam.
type AntispamOption func(*SQLAntispam)

// AntispamLogger receives the follower's errors (default: slog.Default()).
func AntispamLogger(l *slog.Logger) AntispamOption {
	return func(a *SQLAntispam) {
		if l != nil {
			a.log = l
		}
	}
}

// AntispamPushbackThreshold: how many entries the follower may lag behind the integrated tree
// before new entries are refused with tessera.ErrPushbackAntispam (default, or 0: 200,000). Keep it at
// most the in-memory cache size given to WithAntispam divided by the number of front ends.
func AntispamPushbackThreshold(n uint64) AntispamOption {
	return func(a *SQLAntispam) {
		if n > 0 {
			a.pushbackThreshold = n
		}
	}
}

// OpenSQLiteAntispam opens (creating it if missing) the duplicate index in the SQLite file at
// path, e.g. DIR/dedup.db. Close releases the file.
func OpenSQLiteAntispam(ctx context.Context, path string, opts ...AntispamOption) (*SQLAntispam, error) {
	// WAL: lookups from Add read while the follower writes. synchronous=NORMAL may lose the last
	// transactions on power loss, never consistency: progress is committed with the hashes it
	// covers, so lost work is simply followed again. busy_timeout rides out checkpoints.
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + q.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: opening %s: %v", ErrAntispam, path, err)
	}
	// A small pool kept open: every new SQLite connection re-opens the file and re-runs the
	// pragmas under a lock, and database/sql keeps only 2 idle connections by default, so under
	// hundreds of concurrent submissions connections churned and lookups waited for hundreds of
	// milliseconds (measured with bench/tlog). Lookups take microseconds; 8 are plenty.
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	db.SetConnMaxIdleTime(0)
	a, err := newSQLAntispam(ctx, db, sqliteAntispam, opts)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	a.ownDB = true
	return a, nil
}

// NewMySQLAntispam keeps the duplicate index in tables hallmark_antispam and
// hallmark_antispam_progress of db (created if missing), typically the database tessera's MySQL
// driver uses. The caller owns db: Close does not close it.
func NewMySQLAntispam(ctx context.Context, db *sql.DB, opts ...AntispamOption) (*SQLAntispam, error) {
	return newSQLAntispam(ctx, db, mysqlAntispam, opts)
}

func newSQLAntispam(ctx context.Context, db *sql.DB, d antispamDialect, opts []AntispamOption) (*SQLAntispam, error) {
	a := &SQLAntispam{
		db:                db,
		dialect:           d,
		log:               slog.Default(),
		pushbackThreshold: defaultAntispamPushback,
		batchSize:         defaultAntispamBatch,
		rowsPerInsert:     antispamRowsPerInsert,
		closing:           make(chan struct{}),
	}
	for _, o := range opts {
		o(a)
	}
	for _, stmt := range d.schema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			return nil, fmt.Errorf("%w: creating %s tables: %v", ErrAntispam, d.name, err)
		}
	}
	var err error
	a.lookupStmt, err = db.PrepareContext(ctx, "SELECT idx FROM "+antispamTable+" WHERE hash = ?")
	if err != nil {
		return nil, fmt.Errorf("%w: preparing the lookup: %v", ErrAntispam, err)
	}
	return a, nil
}

// Close stops the followers started by the appender, waits for them to return and, for SQLite,
// closes the database. Shut the appender down first (its Shutdown waits for the follower to
// catch up); Adds after Close fail.
func (a *SQLAntispam) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	close(a.closing)
	a.mu.Unlock()
	a.followers.Wait()
	a.lookupStmt.Close()
	if a.ownDB {
		if err := a.db.Close(); err != nil {
			return fmt.Errorf("%w: closing: %v", ErrAntispam, err)
		}
	}
	return nil
}

// Decorator wraps tessera's Add: an entry whose identity hash is in the index gets its original
// index (IsDup); any other goes on to the log, unless the follower lags too far behind.
func (a *SQLAntispam) Decorator() func(tessera.AddFn) tessera.AddFn {
	return func(next tessera.AddFn) tessera.AddFn {
		return func(ctx context.Context, e *tessera.Entry) tessera.IndexFuture {
			if perr := a.fatal.Load(); perr != nil {
				err := *perr
				return func() (tessera.Index, error) { return tessera.Index{}, err }
			}
			idx, found, err := a.lookup(ctx, e.Identity())
			if err != nil {
				return func() (tessera.Index, error) { return tessera.Index{}, err }
			}
			if found {
				return func() (tessera.Index, error) { return tessera.Index{Index: idx, IsDup: true}, nil }
			}
			// The lookup comes first (unlike tessera's Badger index) so that known duplicates
			// are still answered while new entries are pushed back.
			if a.pushback.Load() {
				return func() (tessera.Index, error) { return tessera.Index{}, tessera.ErrPushbackAntispam }
			}
			return next(ctx, e)
		}
	}
}

func (a *SQLAntispam) lookup(ctx context.Context, hash []byte) (uint64, bool, error) {
	var idx uint64
	err := a.lookupStmt.QueryRowContext(ctx, hash).Scan(&idx)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, false, nil
	case err != nil:
		return 0, false, fmt.Errorf("%w: looking up an entry: %v", ErrAntispam, err)
	}
	return idx, true, nil
}

// progress returns how many entries of the log the index covers: [0, progress).
func (a *SQLAntispam) progress(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}) (uint64, error) {
	var n uint64
	if err := q.QueryRowContext(ctx, "SELECT next_idx FROM "+antispamProgressTable+" WHERE id = 0").Scan(&n); err != nil {
		return 0, fmt.Errorf("%w: reading progress: %v", ErrAntispam, err)
	}
	return n, nil
}

// Follower returns the follower that fills the index from the log; hasher turns an entry
// bundle into the identity hashes of its entries (tessera supplies it).
func (a *SQLAntispam) Follower(hasher func([]byte) ([][]byte, error)) tessera.Follower {
	return &sqlFollower{a: a, hasher: hasher}
}

type sqlFollower struct {
	a      *SQLAntispam
	hasher func([]byte) ([][]byte, error)
}

func (f *sqlFollower) Name() string { return "hallmark SQL antispam (" + f.a.dialect.name + ")" }

// EntriesProcessed returns how many entries of the log the index covers.
func (f *sqlFollower) EntriesProcessed(ctx context.Context) (uint64, error) {
	if perr := f.a.fatal.Load(); perr != nil {
		return 0, *perr
	}
	return f.a.progress(ctx, f.a.db)
}

// Follow records the log's entries in the index, in order, until ctx is done or the index is
// closed. Errors are logged (once until they change) and retried.
func (f *sqlFollower) Follow(ctx context.Context, lr tessera.LogReader) {
	f.a.mu.Lock()
	if f.a.closed {
		f.a.mu.Unlock()
		return
	}
	f.a.followers.Add(1)
	f.a.mu.Unlock()
	defer f.a.followers.Done()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-f.a.closing:
			cancel()
		case <-ctx.Done():
		}
	}()

	var lastErr string
	for {
		caughtUp, err := f.step(ctx, lr)
		if ctx.Err() != nil {
			return
		}
		wait := time.Duration(0)
		switch {
		case err != nil:
			if msg := err.Error(); msg != lastErr {
				f.a.log.Warn("duplicate index follower", "err", err)
				lastErr = msg
			}
			wait = antispamRetry
		case caughtUp:
			lastErr = ""
			wait = antispamIdle
		default:
			lastErr = ""
		}
		if wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}
}

// step records at most one batch of entries; caughtUp says there was nothing to record.
func (f *sqlFollower) step(ctx context.Context, lr tessera.LogReader) (caughtUp bool, err error) {
	a := f.a
	from, err := a.progress(ctx, a.db)
	if err != nil {
		return false, err
	}
	size, err := lr.IntegratedSize(ctx)
	if errors.Is(err, os.ErrNotExist) {
		return true, nil // nothing integrated yet
	}
	if err != nil {
		return false, fmt.Errorf("%w: reading the log's size: %v", ErrAntispam, err)
	}
	if from > size {
		err := fmt.Errorf("%w: it covers %d entries, the log has %d", ErrAntispamAhead, from, size)
		a.fatal.CompareAndSwap(nil, &err)
		return false, err
	}
	a.pushback.Store(size-from > a.pushbackThreshold)
	if from == size {
		return true, nil
	}

	n := min(size-from, a.batchSize)
	hashes := make([][]byte, 0, n)
	// Range names the bundles covering [from, from+n) with their partial width at size, and
	// where in the first and last bundle the range starts and ends (resuming mid-bundle).
	for ri := range layout.Range(from, n, size) {
		raw, err := lr.ReadEntryBundle(ctx, ri.Index, ri.Partial)
		if err != nil {
			return false, fmt.Errorf("%w: reading entry bundle %d (partial %d): %v", ErrAntispam, ri.Index, ri.Partial, err)
		}
		hs, err := f.hasher(raw)
		if err != nil {
			return false, fmt.Errorf("%w: bundle %d: %v", ErrAntispamBundle, ri.Index, err)
		}
		// A stored bundle may hold more entries than asked for (MySQL keeps one row per bundle
		// and grows it), never fewer.
		if uint64(len(hs)) < uint64(ri.First)+uint64(ri.N) {
			return false, fmt.Errorf("%w: bundle %d has %d entries, want at least %d", ErrAntispamBundle, ri.Index, len(hs), ri.First+ri.N)
		}
		for i, h := range hs[ri.First : ri.First+ri.N] {
			if len(h) != identityHashSize {
				return false, fmt.Errorf("%w: bundle %d entry %d: identity hash of %d bytes, want %d", ErrAntispamBundle, ri.Index, int(ri.First)+i, len(h), identityHashSize)
			}
		}
		hashes = append(hashes, hs[ri.First:ri.First+ri.N]...)
	}
	if uint64(len(hashes)) != n {
		return false, fmt.Errorf("%w: read %d entries from %d, want %d", ErrAntispamBundle, len(hashes), from, n)
	}
	return false, a.record(ctx, from, hashes)
}

// record stores hashes[i] → from+i (an index already recorded for a hash is kept) and moves
// progress from `from` to from+len(hashes), in one transaction. Progress is compared and set,
// so two followers on one database never move it backwards.
func (a *SQLAntispam) record(ctx context.Context, from uint64, hashes [][]byte) (err error) {
	tx, err := a.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("%w: begin: %v", ErrAntispam, err)
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	for start := 0; start < len(hashes); start += a.rowsPerInsert {
		chunk := hashes[start:min(start+a.rowsPerInsert, len(hashes))]
		var q strings.Builder
		q.WriteString(a.dialect.insert)
		args := make([]any, 0, 2*len(chunk))
		for i, h := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			q.WriteString("(?,?)")
			args = append(args, h, from+uint64(start+i))
		}
		q.WriteString(a.dialect.insertSuffix)
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("%w: recording entries %d-%d: %v", ErrAntispam, from+uint64(start), from+uint64(start+len(chunk))-1, err)
		}
	}
	to := from + uint64(len(hashes))
	res, err := tx.ExecContext(ctx, "UPDATE "+antispamProgressTable+" SET next_idx = ? WHERE id = 0 AND next_idx = ?", to, from)
	if err != nil {
		return fmt.Errorf("%w: moving progress to %d: %v", ErrAntispam, to, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("%w: progress moved from %d meanwhile (another follower?); retrying", ErrAntispam, from)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("%w: commit: %v", ErrAntispam, err)
	}
	return nil
}
