package tlog

import (
	"context"
	"database/sql"
	"fmt"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/sigstore/sigstore-go/pkg/bundle"

	"github.com/hallmark-dev/hallmark/sign"
)

// mysqlDSN returns a DSN for a fresh, empty database on the MySQL/MariaDB server named by
// $HALLMARK_TEST_MYSQL (a go-sql-driver DSN; .ci/run sets it), or skips.
func mysqlDSN(t *testing.T) string {
	t.Helper()
	dsn := os.Getenv("HALLMARK_TEST_MYSQL")
	if dsn == "" {
		t.Skip("HALLMARK_TEST_MYSQL is not set (a MySQL/MariaDB DSN, e.g. root@tcp(127.0.0.1:3306)/test); .ci/run sets it")
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("HALLMARK_TEST_MYSQL: %v", err)
	}
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	name := fmt.Sprintf("hallmark_tlog_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatalf("creating a test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err == nil {
			db.Exec("DROP DATABASE " + name)
			db.Close()
		}
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}

// TestMySQLBackend: the same log on MariaDB/MySQL: entries are logged and proven, the read API
// serves them, and after a restart (a new server on the same database) every entry is still
// there and new entries continue the tree.
func TestMySQLBackend(t *testing.T) {
	dsn := mysqlDSN(t)
	dir := t.TempDir()
	open := func() (*Server, *httptest.Server) {
		srv, err := OpenServer(context.Background(), ServerConfig{Dir: dir, MySQLDSN: dsn, Origin: "mysql.test/log", CheckpointInterval: time.Second, BatchMaxAge: 50 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		return srv, httptest.NewServer(srv.Handler())
	}
	srv, hs := open()
	ec := newSigner(t, sign.ECDSAP256)
	var bodies [][]byte
	var first *bundle.Bundle
	for i := range 5 {
		b := signBlob(t, ec, fmt.Sprintf("mysql entry %d", i))
		if i == 0 {
			first = b
		}
		idx := logAndVerify(t, srv, hs.URL, b, ec.Public())
		if idx != uint64(i) {
			t.Fatalf("entry %d got index %d", i, idx)
		}
		bodies = append(bodies, b.Bundle.GetVerificationMaterial().GetTlogEntries()[0].GetCanonicalizedBody())
	}
	// The answers carry checkpoints the log signed for its integrated tree at once; the
	// checkpoint it publishes later is consistent with each of them.
	pubClient := NewClient(mustHTTPFetcher(t, hs.URL), srv.Key())
	var published *Checkpoint
	for deadline := time.Now().Add(10 * time.Second); ; {
		cp, err := pubClient.Checkpoint(context.Background())
		if err == nil && cp.Size >= 5 {
			published = cp
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no published checkpoint of size 5: %v %v", cp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i, b := range []*bundle.Bundle{first} {
		ip := b.Bundle.GetVerificationMaterial().GetTlogEntries()[0].GetInclusionProof()
		old, err := OpenCheckpoint([]byte(ip.GetCheckpoint().GetEnvelope()), srv.Key())
		if err != nil {
			t.Fatal(err)
		}
		if old.Size == published.Size {
			if string(old.Root) != string(published.Root) {
				t.Fatalf("bundle %d: same size, other root than the published checkpoint", i)
			}
			continue
		}
		proof, err := pubClient.ConsistencyProof(context.Background(), old.Size, published)
		if err != nil {
			t.Fatal(err)
		}
		if err := VerifyConsistency(old.Size, published.Size, proof, old.Root, published.Root); err != nil {
			t.Fatalf("bundle %d's checkpoint (size %d) is not consistent with the published one (size %d): %v", i, old.Size, published.Size, err)
		}
	}

	// Same entry again: the original index.
	again := signBlob(t, ec, "mysql entry 0") // ECDSA signatures differ: a new entry
	req, _ := RequestForBundle(again, ec.Public())
	body, _, _ := ValidateRequest(req)
	if _, dup, err := srv.Add(context.Background(), body, nil); err != nil || dup {
		t.Fatalf("re-signed entry: dup=%v err=%v", dup, err)
	}
	if tle, dup, err := srv.Add(context.Background(), bodies[2], nil); err != nil || !dup || tle.GetLogIndex() != 2 {
		t.Fatalf("duplicate: index %d dup=%v err=%v", tle.GetLogIndex(), dup, err)
	}
	hs.Close()
	if err := srv.Close(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv, hs = open()
	defer func() { hs.Close(); srv.Close(context.Background()) }()
	c := NewClient(mustHTTPFetcher(t, hs.URL), srv.Key())
	cp, err := c.Checkpoint(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if cp.Size != 6 {
		t.Fatalf("after restart the checkpoint has size %d, want 6", cp.Size)
	}
	for i, want := range bodies {
		got, err := c.Entry(context.Background(), uint64(i), cp)
		if err != nil || string(got) != string(want) {
			t.Fatalf("entry %d after restart: %v", i, err)
		}
	}
	// The duplicate index is persistent on MySQL too.
	if tle, dup, err := srv.Add(context.Background(), bodies[3], nil); err != nil || !dup || tle.GetLogIndex() != 3 {
		t.Fatalf("duplicate after restart: index %d dup=%v err=%v", tle.GetLogIndex(), dup, err)
	}
	idx := logAndVerify(t, srv, hs.URL, signBlob(t, ec, "after restart"), ec.Public())
	if idx != 6 {
		t.Fatalf("after restart the next index is %d, want 6", idx)
	}
	if !strings.Contains(srv.Key().Text, "mysql.test/log+") {
		t.Fatalf("key %q", srv.Key().Text)
	}
}
