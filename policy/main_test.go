package policy

import (
	"os"
	"testing"
)

// TestMain removes the fixture advisory database the tests share (fixtureDB).
func TestMain(m *testing.M) {
	code := m.Run()
	if dbDir != "" {
		os.RemoveAll(dbDir)
	}
	os.Exit(code)
}
