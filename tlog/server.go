package tlog

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	pb "github.com/sigstore/rekor-tiles/v2/pkg/generated/protobuf"
	"github.com/transparency-dev/tessera"
	"github.com/transparency-dev/tessera/api/layout"
	"github.com/transparency-dev/tessera/client"
	tmysql "github.com/transparency-dev/tessera/storage/mysql"
	"github.com/transparency-dev/tessera/storage/posix"
	"golang.org/x/mod/sumdb/note"
	"google.golang.org/protobuf/encoding/protojson"
	"k8s.io/klog/v2"
)

// Files a log directory holds besides the log itself.
const (
	// PrivateKeyFile holds the log's checkpoint signing key (a signed-note "PRIVATE+KEY+…"
	// line), mode 0600, created on first start.
	PrivateKeyFile = "log.key"
	// VerifierKeyFile holds the log's C2SP verifier key: what clients pass as --tlog-key.
	VerifierKeyFile = "log.vkey"
	lockFile        = "serve.lock"
	tilesDir        = "tiles"
	dedupFile       = "dedup.db"
)

// EntriesPath is the write API: POST a Rekor v2 CreateEntryRequest (protobuf JSON) here; the
// answer is a Sigstore TransparencyLogEntry with its inclusion proof and checkpoint.
const EntriesPath = "/api/v2/log/entries"

// MaxRequestSize caps a submitted request (a DSSE request carries its whole envelope).
const MaxRequestSize = 32 << 20

var (
	// ErrServerConfig: the log cannot start with this configuration (directory, key, DSN).
	ErrServerConfig = errors.New("log server configuration")
	// ErrBusy: the log is pushing back (too many entries in flight); retry later.
	ErrBusy = errors.New("log is busy, retry later")
)

// ServerConfig configures a log. Dir is required: it holds the signing key, the verifier key
// and, unless MySQLDSN is set, the log's tiles and its duplicate index.
type ServerConfig struct {
	Dir string
	// MySQLDSN stores the log in MySQL/MariaDB (go-sql-driver DSN) instead of Dir/tiles.
	MySQLDSN string
	// Origin names the log in its checkpoints; used when the key is created (first start).
	Origin string
	// CheckpointInterval: how often a new checkpoint is signed and published (default 250ms;
	// tessera's MySQL driver allows no less than 1s).
	CheckpointInterval time.Duration
	// BatchMaxAge and BatchMaxSize bound how long and how many entries wait to be sequenced
	// together (defaults 100ms, 512).
	BatchMaxAge  time.Duration
	BatchMaxSize uint
	// Logger receives the server's and tessera's log lines (default: warnings to stderr).
	Logger *slog.Logger
}

// Server is a running log: a tessera appender, the publication awaiter that answers each
// submission only once a published checkpoint commits to it, and the HTTP API.
type Server struct {
	cfg      ServerConfig
	key      *LogKey
	logID    []byte
	appender *tessera.Appender
	reader   tessera.LogReader
	awaiter  *tessera.PublicationAwaiter
	shutdown func(context.Context) error
	cancel   context.CancelFunc
	lock     *os.File
	db       *sql.DB
	antispam *SQLAntispam
	log      *slog.Logger

	proofs proofCache
	cpMu   sync.Mutex
	lastCP *Checkpoint
	signer note.Signer
	// own is the checkpoint the log signed itself for its integrated tree (MySQL, see
	// integratedCheckpoint), reused while the tree has not grown.
	own struct {
		sync.Mutex
		size uint64
		raw  []byte
	}

	added, duplicates, rejected atomic.Uint64
}

// OpenServer opens (creating on first start) the log in cfg.Dir and starts sequencing and
// checkpoint publication. Close stops it; entries acknowledged before are durable.
func OpenServer(ctx context.Context, cfg ServerConfig) (*Server, error) {
	if cfg.Dir == "" {
		return nil, fmt.Errorf("%w: no storage directory", ErrServerConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if cfg.BatchMaxAge == 0 {
		cfg.BatchMaxAge = 100 * time.Millisecond
	}
	if cfg.BatchMaxSize == 0 {
		cfg.BatchMaxSize = 512
	}
	if cfg.CheckpointInterval == 0 {
		cfg.CheckpointInterval = 250 * time.Millisecond
		if cfg.MySQLDSN != "" {
			cfg.CheckpointInterval = time.Second
		}
	}
	setKlogLogger(cfg.Logger)

	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
	}
	lock, err := lockDir(cfg.Dir)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, lock: lock, log: cfg.Logger}
	ok := false
	defer func() {
		if !ok {
			s.releaseLock()
		}
	}()

	signer, key, err := loadOrCreateKey(cfg.Dir, cfg.Origin)
	if err != nil {
		return nil, err
	}
	s.key = key
	s.signer = signer
	der, err := x509.MarshalPKIXPublicKey(key.Public)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
	}
	id := sha256.Sum256(der)
	s.logID = id[:]

	runCtx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	defer func() {
		if !ok {
			cancel()
		}
	}()

	opts := tessera.NewAppendOptions().
		WithCheckpointSigner(signer).
		WithCheckpointInterval(cfg.CheckpointInterval).
		WithBatching(cfg.BatchMaxSize, cfg.BatchMaxAge)

	var driver tessera.Driver
	if cfg.MySQLDSN != "" {
		db, err := openMySQL(ctx, cfg.MySQLDSN)
		if err != nil {
			return nil, err
		}
		s.db = db
		driver, err = tmysql.New(ctx, db)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("%w: mysql: %v", ErrServerConfig, err)
		}
		s.antispam, err = NewMySQLAntispam(ctx, db, AntispamLogger(cfg.Logger))
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("%w: duplicate index: %v", ErrServerConfig, err)
		}
	} else {
		driver, err = posix.New(runCtx, posix.Config{Path: filepath.Join(cfg.Dir, tilesDir)})
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
		}
		s.antispam, err = OpenSQLiteAntispam(ctx, filepath.Join(cfg.Dir, dedupFile), AntispamLogger(cfg.Logger))
		if err != nil {
			return nil, fmt.Errorf("%w: duplicate index: %v", ErrServerConfig, err)
		}
	}
	// The persistent index answers duplicates across restarts; tessera's in-memory one covers
	// the moment between an entry's integration and the index catching up with it.
	opts = opts.WithAntispam(tessera.DefaultAntispamInMemorySize, s.antispam)

	appender, shutdown, reader, err := tessera.NewAppender(runCtx, driver, opts)
	if err != nil {
		s.antispam.Close()
		if s.db != nil {
			s.db.Close()
		}
		return nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
	}
	s.appender, s.shutdown, s.reader = appender, shutdown, reader
	// Serve only once the duplicate index covers what the log held at start: an entry
	// submitted again right after a restart must get its original index, and tessera's
	// in-memory index starts empty.
	if err := s.awaitDedupIndex(ctx); err != nil {
		shutdown(context.Background())
		s.antispam.Close()
		if s.db != nil {
			s.db.Close()
		}
		return nil, err
	}
	s.awaiter = tessera.NewPublicationAwaiter(runCtx, reader.ReadCheckpoint, 25*time.Millisecond)
	s.proofs.fetch = s.fetchTile
	ok = true
	return s, nil
}

// awaitDedupIndex waits until the duplicate index has caught up with the integrated tree
// (seconds for a log of millions of entries; immediate for a new one).
func (s *Server) awaitDedupIndex(ctx context.Context) error {
	size, err := s.reader.IntegratedSize(ctx)
	if err != nil {
		return fmt.Errorf("%w: reading the log size: %v", ErrServerConfig, err)
	}
	logged := false
	for {
		n, err := s.antispam.progress(ctx, s.antispam.db)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrServerConfig, err)
		}
		if n >= size {
			return nil
		}
		if !logged {
			s.log.Info("indexing the log for duplicates before serving", "entries", size, "indexed", n)
			logged = true
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// klogOnce routes tessera's klog output to the first server's logger: klog's logger is global
// and read by tessera's goroutines, so it is set once per process, never while logs run.
var klogOnce sync.Once

func setKlogLogger(l *slog.Logger) {
	klogOnce.Do(func() { klog.SetSlogLogger(l) })
}

// Key returns the log's verifier key.
func (s *Server) Key() *LogKey { return s.key }

// Close stops accepting entries, waits for those in flight to be integrated and published
// (bounded by ctx), and releases the directory.
func (s *Server) Close(ctx context.Context) error {
	var err error
	if s.shutdown != nil {
		err = s.shutdown(ctx)
	}
	s.cancel()
	if s.antispam != nil {
		if cerr := s.antispam.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	if s.db != nil {
		s.db.Close()
	}
	s.releaseLock()
	return err
}

// Add appends a validated entry body (see ValidateRequest), waits until a checkpoint commits to
// it (the next published one; on MySQL one the log signs for its tree as soon as the entry's
// batch committed) and returns it as a transparency-log entry with its inclusion proof. A body
// already in the log returns its original index and dup=true.
func (s *Server) Add(ctx context.Context, body []byte, kv *protorekor.KindVersion) (tle *protorekor.TransparencyLogEntry, dup bool, err error) {
	var (
		idx   tessera.Index
		cpRaw []byte
	)
	future := s.appender.Add(ctx, tessera.NewEntry(body))
	if s.db != nil {
		// MySQL: tessera's driver publishes a checkpoint at most once a second. The entry is
		// durable once its batch committed (sequenced and integrated in one transaction), so
		// the answer carries a checkpoint the log signs at once for its integrated tree —
		// the same tree, with the same key, that the next published checkpoint extends.
		idx, err = future()
		if err == nil {
			cpRaw, err = s.integratedCheckpoint(ctx)
		}
	} else {
		idx, cpRaw, err = s.awaiter.Await(ctx, future)
	}
	if err != nil {
		if errors.Is(err, tessera.ErrPushback) {
			return nil, false, fmt.Errorf("%w: %v", ErrBusy, err)
		}
		return nil, false, fmt.Errorf("adding entry: %w", err)
	}
	cp, err := s.openCheckpoint(cpRaw)
	if err != nil {
		return nil, false, fmt.Errorf("the log's own checkpoint: %w", err)
	}
	if cp.Size <= idx.Index {
		return nil, false, fmt.Errorf("checkpoint of size %d does not cover index %d", cp.Size, idx.Index)
	}
	hashes, err := s.proofs.inclusion(ctx, idx.Index, cp.Size)
	if err != nil {
		return nil, false, fmt.Errorf("inclusion proof for index %d: %w", idx.Index, err)
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:    int64(idx.Index),
		LogId:       &protocommon.LogId{KeyId: s.logID},
		KindVersion: kv,
		InclusionProof: &protorekor.InclusionProof{
			LogIndex:   int64(idx.Index),
			RootHash:   cp.Root,
			TreeSize:   int64(cp.Size),
			Hashes:     hashes,
			Checkpoint: &protorekor.Checkpoint{Envelope: string(cpRaw)},
		},
		CanonicalizedBody: body,
	}, idx.IsDup, nil
}

// integratedCheckpoint signs a C2SP checkpoint for the tree tessera's MySQL driver has
// integrated (its TreeState row: size and root hash), or returns the last one signed when the
// tree has not grown since.
func (s *Server) integratedCheckpoint(ctx context.Context) ([]byte, error) {
	var (
		size uint64
		root []byte
	)
	if err := s.db.QueryRowContext(ctx, "SELECT `size`, `root` FROM `TreeState` WHERE `id` = 0").Scan(&size, &root); err != nil {
		return nil, fmt.Errorf("reading the integrated tree: %w", err)
	}
	s.own.Lock()
	defer s.own.Unlock()
	if s.own.raw != nil && s.own.size == size {
		return s.own.raw, nil
	}
	text := fmt.Sprintf("%s\n%d\n%s\n", s.key.Origin, size, base64.StdEncoding.EncodeToString(root))
	raw, err := note.Sign(&note.Note{Text: text}, s.signer)
	if err != nil {
		return nil, fmt.Errorf("signing a checkpoint: %w", err)
	}
	s.own.size, s.own.raw = size, raw
	return raw, nil
}

// openCheckpoint opens a checkpoint the log published, remembering the last one: every
// submission released by the same publication shares it, and checking its signature once is
// enough.
func (s *Server) openCheckpoint(raw []byte) (*Checkpoint, error) {
	s.cpMu.Lock()
	defer s.cpMu.Unlock()
	if s.lastCP != nil && bytes.Equal(s.lastCP.Raw, raw) {
		return s.lastCP, nil
	}
	cp, err := OpenCheckpoint(raw, s.key)
	if err != nil {
		return nil, err
	}
	s.lastCP = cp
	return cp, nil
}

// fetchTile reads a tile as tessera's proof builder expects: a partial tile that was replaced
// by the full one (garbage collection) falls back to the full tile.
func (s *Server) fetchTile(ctx context.Context, level, index uint64, p uint8) ([]byte, error) {
	t, err := s.reader.ReadTile(ctx, level, index, p)
	if p != 0 && errors.Is(err, os.ErrNotExist) {
		return s.reader.ReadTile(ctx, level, index, 0)
	}
	return t, err
}

// proofCache keeps tessera proof builders (and the tiles they read) for the latest tree sizes:
// most submissions are answered from the same checkpoint as their neighbours.
type proofCache struct {
	mu       sync.Mutex
	fetch    client.TileFetcherFunc
	builders [2]struct {
		size uint64
		pb   *client.ProofBuilder
	}
	next int
}

func (c *proofCache) inclusion(ctx context.Context, index, size uint64) ([][]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var b *client.ProofBuilder
	for i := range c.builders {
		if c.builders[i].pb != nil && c.builders[i].size == size {
			b = c.builders[i].pb
		}
	}
	if b == nil {
		var err error
		b, err = client.NewProofBuilder(ctx, size, c.fetch)
		if err != nil {
			return nil, err
		}
		c.builders[c.next].size, c.builders[c.next].pb = size, b
		c.next = (c.next + 1) % len(c.builders)
	}
	return b.InclusionProof(ctx, index)
}

// Handler serves the log's HTTP API: the write API at EntriesPath and the C2SP tlog-tiles read
// API (checkpoint, tile/…, tile/entries/…) both at the root and under /api/v2/ as Rekor v2
// clients expect.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+EntriesPath, s.handleAdd)
	for _, prefix := range []string{"", "/api/v2"} {
		mux.HandleFunc("GET "+prefix+"/checkpoint", s.handleCheckpoint)
		mux.HandleFunc("GET "+prefix+"/tile/", func(w http.ResponseWriter, r *http.Request) {
			s.handleTile(w, r, strings.TrimPrefix(r.URL.Path, prefix+"/tile/"))
		})
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") })
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	return mux
}

func (s *Server) handleAdd(w http.ResponseWriter, r *http.Request) {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestSize))
	if err != nil {
		s.rejected.Add(1)
		httpError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("reading request: %v", err))
		return
	}
	var req pb.CreateEntryRequest
	if err := protojson.Unmarshal(raw, &req); err != nil {
		s.rejected.Add(1)
		httpError(w, http.StatusBadRequest, fmt.Sprintf("the request is not a CreateEntryRequest: %v", err))
		return
	}
	body, kv, err := ValidateRequest(&req)
	if err != nil {
		s.rejected.Add(1)
		httpError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	tle, dup, err := s.Add(ctx, body, kv)
	switch {
	case errors.Is(err, ErrBusy):
		w.Header().Set("Retry-After", "1")
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	case err != nil:
		s.log.Warn("adding entry failed", "error", err)
		httpError(w, http.StatusServiceUnavailable, err.Error())
		return
	}
	out, err := protojson.Marshal(tle)
	if err != nil {
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if dup {
		s.duplicates.Add(1)
		w.WriteHeader(http.StatusOK)
	} else {
		s.added.Add(1)
		w.WriteHeader(http.StatusCreated)
	}
	w.Write(out)
}

func (s *Server) handleCheckpoint(w http.ResponseWriter, r *http.Request) {
	cp, err := s.reader.ReadCheckpoint(r.Context())
	if err != nil || len(cp) == 0 {
		httpError(w, http.StatusServiceUnavailable, "no checkpoint published yet")
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(cp)
}

// handleTile serves tile/<L>/<N>[.p/<W>] and tile/entries/<N>[.p/<W>].
func (s *Server) handleTile(w http.ResponseWriter, r *http.Request, rest string) {
	var data []byte
	var err error
	var p uint8
	if idx, ok := strings.CutPrefix(rest, "entries/"); ok {
		var n uint64
		n, p, err = layout.ParseTileIndexPartial(idx)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("entry bundle path %q: %v", rest, err))
			return
		}
		data, err = s.reader.ReadEntryBundle(r.Context(), n, p)
	} else {
		level, idx, found := strings.Cut(rest, "/")
		if !found {
			httpError(w, http.StatusNotFound, "no such tile")
			return
		}
		var l, n uint64
		l, n, p, err = layout.ParseTileLevelIndexPartial(level, idx)
		if err != nil {
			httpError(w, http.StatusBadRequest, fmt.Sprintf("tile path %q: %v", rest, err))
			return
		}
		data, err = s.reader.ReadTile(r.Context(), l, n, p)
	}
	switch {
	case errors.Is(err, os.ErrNotExist) || (err == nil && data == nil):
		httpError(w, http.StatusNotFound, "no such tile")
		return
	case err != nil:
		httpError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	if p == 0 {
		w.Header().Set("Cache-Control", "max-age=31536000, immutable")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	w.Write(data)
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	size, _ := s.reader.IntegratedSize(r.Context())
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	fmt.Fprintf(w, "# HELP hallmark_log_entries_added_total Entries appended and acknowledged with an inclusion proof.\n# TYPE hallmark_log_entries_added_total counter\nhallmark_log_entries_added_total %d\n", s.added.Load())
	fmt.Fprintf(w, "# HELP hallmark_log_duplicates_total Submissions answered with the index of an identical earlier entry.\n# TYPE hallmark_log_duplicates_total counter\nhallmark_log_duplicates_total %d\n", s.duplicates.Load())
	fmt.Fprintf(w, "# HELP hallmark_log_rejected_total Submissions refused as malformed or with a signature that does not verify.\n# TYPE hallmark_log_rejected_total counter\nhallmark_log_rejected_total %d\n", s.rejected.Load())
	fmt.Fprintf(w, "# HELP hallmark_log_integrated_size Entries integrated into the tree.\n# TYPE hallmark_log_integrated_size gauge\nhallmark_log_integrated_size %d\n", size)
}

func httpError(w http.ResponseWriter, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	out, _ := json.Marshal(struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}{code, msg})
	w.Write(append(out, '\n'))
}

// lockDir takes an exclusive lock on dir so that two servers never write one log.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w: %s is in use by another hallmark log server (%v)", ErrServerConfig, dir, err)
	}
	return f, nil
}

func (s *Server) releaseLock() {
	if s.lock != nil {
		syscall.Flock(int(s.lock.Fd()), syscall.LOCK_UN)
		s.lock.Close()
		s.lock = nil
	}
}

// loadOrCreateKey reads dir/log.key, or on first start creates it (and dir/log.vkey) for
// origin. The verifier key file is rewritten from the private key when missing.
func loadOrCreateKey(dir, origin string) (note.Signer, *LogKey, error) {
	keyPath := filepath.Join(dir, PrivateKeyFile)
	raw, err := os.ReadFile(keyPath)
	if errors.Is(err, os.ErrNotExist) {
		if origin == "" {
			return nil, nil, fmt.Errorf("%w: %s has no key yet and no origin was given to create one", ErrServerConfig, dir)
		}
		skey, _, err := note.GenerateKey(rand.Reader, origin)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: origin %q: %v", ErrServerConfig, origin, err)
		}
		f, err := os.OpenFile(keyPath, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
		}
		if _, err := io.WriteString(f, skey+"\n"); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
		}
		f.Close()
		raw = []byte(skey)
	} else if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
	}
	skey := strings.TrimSpace(string(raw))
	signer, err := note.NewSigner(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrServerConfig, keyPath, err)
	}
	pub, err := signerPublic(skey)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrServerConfig, keyPath, err)
	}
	key, err := NewLogKey(signer.Name(), pub)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %v", ErrServerConfig, keyPath, err)
	}
	if origin != "" && origin != key.Origin {
		return nil, nil, fmt.Errorf("%w: the log in %s is %q; --origin %q cannot rename it", ErrServerConfig, dir, key.Origin, origin)
	}
	vkeyPath := filepath.Join(dir, VerifierKeyFile)
	if cur, err := os.ReadFile(vkeyPath); err != nil || strings.TrimSpace(string(cur)) != key.Text {
		if err := os.WriteFile(vkeyPath, []byte(key.Text+"\n"), 0o644); err != nil {
			return nil, nil, fmt.Errorf("%w: %v", ErrServerConfig, err)
		}
	}
	return signer, key, nil
}

// signerPublic derives the Ed25519 public key from a signed-note private key
// ("PRIVATE+KEY+<name>+<hash>+<base64(0x01 || seed)>").
func signerPublic(skey string) (ed25519.PublicKey, error) {
	parts := strings.SplitN(skey, "+", 5)
	if len(parts) != 5 || parts[0] != "PRIVATE" || parts[1] != "KEY" {
		return nil, errors.New("not a signed-note private key")
	}
	b, err := base64.StdEncoding.DecodeString(parts[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 1 {
		return nil, errors.New("not an Ed25519 signed-note private key")
	}
	return ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey), nil
}

// openMySQL connects and creates tessera's tables when they are missing (the same layout as
// tessera's storage/mysql schema, compatibility version 1).
func openMySQL(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("%w: --mysql: %v", ErrServerConfig, err)
	}
	cfg.MultiStatements = false
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("%w: --mysql: %v", ErrServerConfig, err)
	}
	// Keep connections: tessera and the duplicate index query on every batch and submission,
	// and database/sql keeps only 2 idle connections by default (reconnecting costs ms).
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("%w: --mysql %s@%s/%s: %v", ErrServerConfig, cfg.User, cfg.Addr, cfg.DBName, err)
	}
	for _, stmt := range mysqlSchema {
		if _, err := db.ExecContext(ctx, stmt); err != nil {
			db.Close()
			return nil, fmt.Errorf("%w: creating tables: %v", ErrServerConfig, err)
		}
	}
	return db, nil
}

// mysqlSchema: the tables tessera's MySQL driver reads and writes.
var mysqlSchema = []string{
	"CREATE TABLE IF NOT EXISTS `Tessera` (`id` TINYINT UNSIGNED NOT NULL, `compatibilityVersion` BIGINT UNSIGNED NOT NULL, PRIMARY KEY (`id`))",
	"INSERT IGNORE INTO `Tessera` (`id`, `compatibilityVersion`) VALUES (0, 1)",
	"CREATE TABLE IF NOT EXISTS `Checkpoint` (`id` TINYINT UNSIGNED NOT NULL, `note` MEDIUMBLOB NOT NULL, `published_at` BIGINT NOT NULL, PRIMARY KEY (`id`))",
	"CREATE TABLE IF NOT EXISTS `TreeState` (`id` TINYINT UNSIGNED NOT NULL, `size` BIGINT UNSIGNED NOT NULL, `root` TINYBLOB NOT NULL, PRIMARY KEY (`id`))",
	"CREATE TABLE IF NOT EXISTS `Subtree` (`level` TINYINT UNSIGNED NOT NULL, `index` BIGINT UNSIGNED NOT NULL, `nodes` MEDIUMBLOB NOT NULL, PRIMARY KEY (`level`, `index`))",
	"CREATE TABLE IF NOT EXISTS `TiledLeaves` (`tile_index` BIGINT UNSIGNED NOT NULL, `size` SMALLINT UNSIGNED NOT NULL, `data` LONGBLOB NOT NULL, PRIMARY KEY (`tile_index`))",
}
