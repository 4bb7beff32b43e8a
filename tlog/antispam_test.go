package tlog

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
)

// asBackend is one place to keep a log and its duplicate index: a POSIX directory with an
// SQLite file, or one MySQL/MariaDB database.
type asBackend struct {
	name       string
	cpInterval time.Duration
	driver     func(ctx context.Context) (tessera.Driver, error)
	antispam   func(ctx context.Context, opts ...AntispamOption) (*SQLAntispam, error)
	// reset drops the duplicate index (benchmarks start each round empty).
	reset func(ctx context.Context) error
}

func sqliteBackend(tb testing.TB) asBackend {
	dir := tb.TempDir()
	dedup := filepath.Join(dir, "dedup.db")
	return asBackend{
		name:       "posix-sqlite",
		cpInterval: 100 * time.Millisecond,
		driver: func(ctx context.Context) (tessera.Driver, error) {
			return posix.New(ctx, posix.Config{Path: filepath.Join(dir, "tiles")})
		},
		antispam: func(ctx context.Context, opts ...AntispamOption) (*SQLAntispam, error) {
			return OpenSQLiteAntispam(ctx, dedup, opts...)
		},
		reset: func(context.Context) error {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(dedup + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
			return nil
		},
	}
}

func mysqlBackend(tb testing.TB, dsn string) asBackend {
	db, err := openMySQL(context.Background(), dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return asBackend{
		name:       "mysql",
		cpInterval: time.Second, // tessera's MySQL driver minimum
		driver: func(ctx context.Context) (tessera.Driver, error) {
			return tmysql.New(ctx, db)
		},
		antispam: func(ctx context.Context, opts ...AntispamOption) (*SQLAntispam, error) {
			return NewMySQLAntispam(ctx, db, opts...)
		},
		reset: func(ctx context.Context) error {
			for _, tbl := range []string{antispamTable, antispamProgressTable} {
				if _, err := db.ExecContext(ctx, "DROP TABLE IF EXISTS "+tbl); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

// antispamBackends: SQLite always; MySQL when $HALLMARK_TEST_MYSQL is set.
var antispamBackends = []struct {
	name string
	open func(*testing.T) asBackend
}{
	{"posix-sqlite", func(t *testing.T) asBackend { return sqliteBackend(t) }},
	{"mysql", func(t *testing.T) asBackend { return mysqlBackend(t, mysqlDSN(t)) }},
}

var antispamBackendNames = []string{"posix-sqlite", "mysql"}

// asLog is a running tessera appender on a backend.
type asLog struct {
	add      tessera.AddFn
	reader   tessera.LogReader
	shutdown func(context.Context) error
	cancel   context.CancelFunc
}

var asSigner = sync.OnceValue(func() note.Signer {
	skey, _, err := note.GenerateKey(rand.Reader, "antispam.test/log")
	if err != nil {
		panic(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		panic(err)
	}
	return s
})

// openASLog starts an appender on b's storage. With as, it is the log's persistent duplicate
// index behind an in-memory cache of inMem entries (1: practically every duplicate reaches as).
func openASLog(tb testing.TB, b asBackend, as tessera.Antispam, inMem uint) *asLog {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	d, err := b.driver(ctx)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(asSigner()).
		WithCheckpointInterval(b.cpInterval).
		WithBatching(256, 10*time.Millisecond)
	if as != nil {
		opts = opts.WithAntispam(inMem, as)
	}
	app, shutdown, reader, err := tessera.NewAppender(ctx, d, opts)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	return &asLog{add: app.Add, reader: reader, shutdown: shutdown, cancel: cancel}
}

func (l *asLog) close(tb testing.TB) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := l.shutdown(ctx); err != nil {
		tb.Fatalf("shutting the appender down: %v", err)
	}
	l.cancel()
}

func asEntry(i int) []byte { return fmt.Appendf(nil, "antispam test entry %d", i) }

// addAll adds entries [from, to) through add concurrently and returns their indexes.
func addAll(tb testing.TB, add tessera.AddFn, from, to int) []tessera.Index {
	tb.Helper()
	ctx := context.Background()
	futures := make([]tessera.IndexFuture, 0, to-from)
	for i := from; i < to; i++ {
		futures = append(futures, add(ctx, tessera.NewEntry(asEntry(i))))
	}
	out := make([]tessera.Index, len(futures))
	for i, f := range futures {
		idx, err := f()
		if err != nil {
			tb.Fatalf("adding entry %d: %v", from+i, err)
		}
		out[i] = idx
	}
	return out
}

// waitIntegrated waits until the log has integrated n entries.
func waitIntegrated(tb testing.TB, lr tessera.LogReader, n uint64) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		size, err := lr.IntegratedSize(context.Background())
		if err == nil && size >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the log integrated %d entries, want %d (%v)", size, n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// waitFollowed waits until the index covers n entries.
func waitFollowed(tb testing.TB, a *SQLAntispam, n uint64) {
	tb.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		got, err := a.progress(context.Background(), a.db)
		if err == nil && got >= n {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("the follower processed %d entries, want %d (%v)", got, n, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// bundleIdentities is the identity hasher tessera hands followers: the SHA-256 of each entry of
// a C2SP entry bundle, as tessera.Entry.Identity.
func bundleIdentities(bundle []byte) ([][]byte, error) {
	var eb api.EntryBundle
	if err := eb.UnmarshalText(bundle); err != nil {
		return nil, err
	}
	out := make([][]byte, len(eb.Entries))
	for i, e := range eb.Entries {
		h := sha256.Sum256(e)
		out[i] = h[:]
	}
	return out, nil
}

func TestBundleIdentitiesMatchTessera(t *testing.T) {
	e := asEntry(7)
	h := sha256.Sum256(e)
	if got := tessera.NewEntry(e).Identity(); string(got) != string(h[:]) {
		t.Fatalf("tessera's identity hash is not SHA-256 of the entry: %x", got)
	}
}

// followAll runs the follower's steps until it has caught up.
func followAll(tb testing.TB, f tessera.Follower, lr tessera.LogReader) {
	tb.Helper()
	for range 10_000 {
		caughtUp, err := f.(*sqlFollower).step(context.Background(), lr)
		if err != nil {
			tb.Fatalf("follower: %v", err)
		}
		if caughtUp {
			return
		}
	}
	tb.Fatal("the follower did not catch up")
}

func checkIndexes(t *testing.T, what string, got []tessera.Index, firstIdx uint64, dup bool) {
	t.Helper()
	for i, idx := range got {
		if idx.Index != firstIdx+uint64(i) || idx.IsDup != dup {
			t.Fatalf("%s: entry %d got %+v, want index %d dup=%v", what, i, idx, firstIdx+uint64(i), dup)
		}
	}
}

// TestSQLAntispam: through a real tessera appender, duplicates get their original index from
// the index, also after everything is closed and reopened on the same storage (a restart),
// where tessera's in-memory cache is empty.
func TestSQLAntispam(t *testing.T) {
	for _, backend := range antispamBackends {
		t.Run(backend.name, func(t *testing.T) {
			b := backend.open(t)
			ctx := context.Background()
			const n = 300 // one full bundle and a partial one
			as, err := b.antispam(ctx)
			if err != nil {
				t.Fatal(err)
			}
			log := openASLog(t, b, as, 1)
			checkIndexes(t, "first adds", addAll(t, log.add, 0, n), 0, false)
			waitIntegrated(t, log.reader, n)
			waitFollowed(t, as, n)
			checkIndexes(t, "duplicates", addAll(t, log.add, 0, n), 0, true)
			log.close(t)
			if err := as.Close(); err != nil {
				t.Fatal(err)
			}
			if err := as.Close(); err != nil {
				t.Fatalf("second Close: %v", err)
			}

			// Restart: a new appender and a new index on the same storage.
			as, err = b.antispam(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer as.Close()
			log = openASLog(t, b, as, tessera.DefaultAntispamInMemorySize)
			checkIndexes(t, "duplicates after restart", addAll(t, log.add, 0, n), 0, true)
			checkIndexes(t, "new entries after restart", addAll(t, log.add, n, n+10), n, false)
			checkIndexes(t, "duplicates of new entries", addAll(t, log.add, n, n+10), n, true)
			waitIntegrated(t, log.reader, n+10)
			if size, err := log.reader.IntegratedSize(ctx); err != nil || size != n+10 {
				t.Fatalf("the log has %d entries (%v), want %d: a duplicate was logged", size, err, n+10)
			}
			log.close(t) // Shutdown waits for the follower to cover every entry
			if got, err := as.Follower(bundleIdentities).EntriesProcessed(ctx); err != nil || got != n+10 {
				t.Fatalf("EntriesProcessed = %d, %v; want %d", got, err, n+10)
			}
		})
	}
}

// TestSQLAntispamResumesMidBundle: a follower that stops in the middle of an entry bundle (100
// and 200 of a log of 300: a full bundle of 256 and a partial one of 44) and is reopened
// continues where it stopped; every entry ends up at its own index.
func TestSQLAntispamResumesMidBundle(t *testing.T) {
	for _, backend := range antispamBackends {
		t.Run(backend.name, func(t *testing.T) {
			b := backend.open(t)
			ctx := context.Background()
			const n = 300
			log := openASLog(t, b, nil, 0)
			defer log.close(t)
			addAll(t, log.add, 0, n)
			waitIntegrated(t, log.reader, n)

			as, err := b.antispam(ctx)
			if err != nil {
				t.Fatal(err)
			}
			as.batchSize = 100
			f := as.Follower(bundleIdentities)
			for _, want := range []uint64{100, 200} {
				if _, err := f.(*sqlFollower).step(ctx, log.reader); err != nil {
					t.Fatal(err)
				}
				if got, err := f.EntriesProcessed(ctx); err != nil || got != want {
					t.Fatalf("EntriesProcessed = %d, %v; want %d", got, err, want)
				}
			}
			if err := as.Close(); err != nil {
				t.Fatal(err)
			}

			as, err = b.antispam(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer as.Close()
			as.rowsPerInsert = 7 // several INSERTs per transaction
			f = as.Follower(bundleIdentities)
			followAll(t, f, log.reader)
			if got, err := f.EntriesProcessed(ctx); err != nil || got != n {
				t.Fatalf("EntriesProcessed = %d, %v; want %d", got, err, n)
			}
			for i := range n {
				idx, found, err := as.lookup(ctx, tessera.NewEntry(asEntry(i)).Identity())
				if err != nil || !found || idx != uint64(i) {
					t.Fatalf("entry %d: index %d found=%v err=%v", i, idx, found, err)
				}
			}
			// And through the decorator, in front of the real appender.
			checkIndexes(t, "duplicates", addAll(t, as.Decorator()(log.add), 0, n), 0, true)
		})
	}
}

// TestSQLAntispamPushback: while the follower lags more than the threshold behind the log, new
// entries are pushed back with tessera.ErrPushbackAntispam (known duplicates are still
// answered); once it catches up, entries are accepted again.
func TestSQLAntispamPushback(t *testing.T) {
	for _, backend := range antispamBackends {
		t.Run(backend.name, func(t *testing.T) {
			b := backend.open(t)
			ctx := context.Background()
			const n = 300
			log := openASLog(t, b, nil, 0)
			defer log.close(t)
			addAll(t, log.add, 0, n)
			waitIntegrated(t, log.reader, n)

			as, err := b.antispam(ctx, AntispamPushbackThreshold(50))
			if err != nil {
				t.Fatal(err)
			}
			defer as.Close()
			as.batchSize = 100
			f := as.Follower(bundleIdentities)
			add := as.Decorator()(log.add)
			if _, err := f.(*sqlFollower).step(ctx, log.reader); err != nil { // 300 behind
				t.Fatal(err)
			}
			if _, err := add(ctx, tessera.NewEntry(asEntry(n)))(); !errors.Is(err, tessera.ErrPushbackAntispam) || !errors.Is(err, tessera.ErrPushback) {
				t.Fatalf("new entry while 300 behind (threshold 50): %v, want pushback", err)
			}
			if idx, err := add(ctx, tessera.NewEntry(asEntry(5)))(); err != nil || idx.Index != 5 || !idx.IsDup {
				t.Fatalf("known duplicate while behind: %+v, %v", idx, err)
			}
			if _, err := add(ctx, tessera.NewEntry(asEntry(250)))(); !errors.Is(err, tessera.ErrPushbackAntispam) {
				t.Fatalf("not yet followed entry while behind: %v, want pushback", err)
			}
			followAll(t, f, log.reader)
			idx, err := add(ctx, tessera.NewEntry(asEntry(n)))()
			if err != nil || idx.Index != n || idx.IsDup {
				t.Fatalf("new entry after catching up: %+v, %v", idx, err)
			}
		})
	}
}

// TestSQLAntispamAheadOfLog: an index that covers more entries than the log holds belongs to
// another log: the follower reports ErrAntispamAhead and entries are refused rather than
// answered with another tree's indexes.
func TestSQLAntispamAheadOfLog(t *testing.T) {
	ctx := context.Background()
	b := sqliteBackend(t)
	log := openASLog(t, b, nil, 0)
	addAll(t, log.add, 0, 10)
	waitIntegrated(t, log.reader, 10)
	as, err := b.antispam(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer as.Close()
	followAll(t, as.Follower(bundleIdentities), log.reader)
	log.close(t)

	other := sqliteBackend(t) // a new, empty log
	log = openASLog(t, other, nil, 0)
	defer log.close(t)
	addAll(t, log.add, 0, 3)
	waitIntegrated(t, log.reader, 3)
	f := as.Follower(bundleIdentities)
	if _, err := f.(*sqlFollower).step(ctx, log.reader); !errors.Is(err, ErrAntispamAhead) {
		t.Fatalf("follower on a shorter log: %v, want ErrAntispamAhead", err)
	}
	if _, err := f.EntriesProcessed(ctx); !errors.Is(err, ErrAntispamAhead) {
		t.Fatalf("EntriesProcessed: %v, want ErrAntispamAhead", err)
	}
	if _, err := as.Decorator()(log.add)(ctx, tessera.NewEntry(asEntry(1)))(); !errors.Is(err, ErrAntispamAhead) {
		t.Fatalf("Add: %v, want ErrAntispamAhead", err)
	}
}

// TestSQLAntispamFollowStopsOnClose: Close ends a running Follow (and waits for it) even while
// the appender's context is still live, so the index can be reopened in the same process.
func TestSQLAntispamFollowStopsOnClose(t *testing.T) {
	b := sqliteBackend(t)
	log := openASLog(t, b, nil, 0)
	defer log.close(t)
	as, err := b.antispam(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		as.Follower(bundleIdentities).Follow(context.Background(), log.reader)
		close(done)
	}()
	time.Sleep(50 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- as.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close does not return while Follow runs")
	}
	select {
	case <-done:
	case <-time.After(100 * time.Millisecond): // Close waits for it: no time needed
		t.Fatal("Follow still runs after Close returned")
	}
	as, err = b.antispam(context.Background())
	if err != nil {
		t.Fatalf("reopening: %v", err)
	}
	as.Close()
}

// TestOpenSQLiteAntispamPath: the file is created at exactly the path given, whatever
// characters it holds (it is passed to SQLite as a file: URI).
func TestOpenSQLiteAntispamPath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a dir %41 #?x", "dedup.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	as, err := OpenSQLiteAntispam(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := as.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the index is not at the path given: %v", err)
	}
}

func TestOpenSQLiteAntispamBadPath(t *testing.T) {
	_, err := OpenSQLiteAntispam(context.Background(), filepath.Join(t.TempDir(), "missing", "dir", "dedup.db"))
	if !errors.Is(err, ErrAntispam) {
		t.Fatalf("got %v, want ErrAntispam", err)
	}
}

// mysqlBenchDSN is mysqlDSN for benchmarks (which take a testing.TB).
func mysqlBenchDSN(b *testing.B) string {
	dsn := os.Getenv("HALLMARK_TEST_MYSQL")
	if dsn == "" {
		b.Skip("HALLMARK_TEST_MYSQL is not set (a MySQL/MariaDB DSN, e.g. root@tcp(127.0.0.1:3306)/test)")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		b.Fatal(err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("hallmark_tlog_bench_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if db, err := sql.Open("mysql", cfg.FormatDSN()); err == nil {
			db.Exec("DROP DATABASE " + name)
			db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// BenchmarkSQLAntispamFollow measures how fast the follower indexes a log of 20,000 entries
// from empty (entries/s), on each backend: the rate at which it can keep up with appends.
func BenchmarkSQLAntispamFollow(b *testing.B) {
	backends := map[string]func(*testing.B) asBackend{
		"posix-sqlite": func(b *testing.B) asBackend { return sqliteBackend(b) },
		"mysql":        func(b *testing.B) asBackend { return mysqlBackend(b, mysqlBenchDSN(b)) },
	}
	for _, name := range antispamBackendNames {
		b.Run(name, func(b *testing.B) {
			const n = 20_000
			be := backends[name](b)
			log := openASLog(b, be, nil, 0)
			defer log.close(b)
			for from := 0; from < n; from += 2000 {
				addAll(b, log.add, from, from+2000)
			}
			waitIntegrated(b, log.reader, n)
			ctx := context.Background()
			var followed time.Duration
			b.ResetTimer()
			for range b.N {
				b.StopTimer()
				if err := be.reset(ctx); err != nil {
					b.Fatal(err)
				}
				as, err := be.antispam(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				start := time.Now()
				followAll(b, as.Follower(bundleIdentities), log.reader)
				followed += time.Since(start)
				b.StopTimer()
				as.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(n)*float64(b.N)/followed.Seconds(), "entries/s")
		})
	}
}

// BenchmarkSQLAntispamLookup measures the decorator's cost per Add of an entry not in the index
// (the common case) with 20,000 entries indexed.
func BenchmarkSQLAntispamLookup(b *testing.B) {
	backends := map[string]func(*testing.B) asBackend{
		"posix-sqlite": func(b *testing.B) asBackend { return sqliteBackend(b) },
		"mysql":        func(b *testing.B) asBackend { return mysqlBackend(b, mysqlBenchDSN(b)) },
	}
	for _, name := range antispamBackendNames {
		b.Run(name, func(b *testing.B) {
			be := backends[name](b)
			ctx := context.Background()
			as, err := be.antispam(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer as.Close()
			hashes := make([][]byte, 20_000)
			for i := range hashes {
				h := sha256.Sum256(asEntry(i))
				hashes[i] = h[:]
			}
			if err := as.record(ctx, 0, hashes); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					h := sha256.Sum256(asEntry(1_000_000 + i))
					if _, found, err := as.lookup(ctx, h[:]); err != nil || found {
						b.Errorf("lookup: found=%v err=%v", found, err)
						return
					}
					i++
				}
			})
		})
	}
}

// BenchmarkSQLAntispamAppend adds b.N new entries from 64 concurrent submitters through a real
// appender whose duplicate index is this one (every Add is looked up), and reports appends/s
// and the follower's largest lag behind the integrated tree seen during the run (sampled every
// 50 ms; it must stay far below the pushback threshold).
func BenchmarkSQLAntispamAppend(b *testing.B) {
	backends := map[string]func(*testing.B) asBackend{
		"posix-sqlite": func(b *testing.B) asBackend { return sqliteBackend(b) },
		"mysql":        func(b *testing.B) asBackend { return mysqlBackend(b, mysqlBenchDSN(b)) },
	}
	for _, name := range antispamBackendNames {
		b.Run(name, func(b *testing.B) {
			be := backends[name](b)
			ctx := context.Background()
			as, err := be.antispam(ctx)
			if err != nil {
				b.Fatal(err)
			}
			defer as.Close()
			log := openASLog(b, be, as, 1)
			defer log.close(b)

			stop := make(chan struct{})
			maxLag := make(chan uint64)
			go func() {
				var worst uint64
				t := time.NewTicker(50 * time.Millisecond)
				defer t.Stop()
				for {
					select {
					case <-stop:
						maxLag <- worst
						return
					case <-t.C:
					}
					size, err1 := log.reader.IntegratedSize(ctx)
					done, err2 := as.progress(ctx, as.db)
					if err1 == nil && err2 == nil && size > done {
						worst = max(worst, size-done)
					}
				}
			}()
			var next sync.Mutex
			i := 0
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for range 64 {
				wg.Go(func() {
					for {
						next.Lock()
						if i >= b.N {
							next.Unlock()
							return
						}
						e := asEntry(i)
						i++
						next.Unlock()
						if _, err := log.add(ctx, tessera.NewEntry(e))(); err != nil {
							b.Errorf("add: %v", err)
							return
						}
					}
				})
			}
			wg.Wait()
			elapsed := time.Since(start)
			close(stop)
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "appends/s")
			b.ReportMetric(float64(<-maxLag), "max-lag-entries")
		})
	}
}
