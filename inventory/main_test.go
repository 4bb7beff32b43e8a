package inventory_test

import (
	"os"
	"testing"

	scalibrlog "github.com/google/osv-scalibr/log"
)

// TestMain silences osv-scalibr's logger: what it logs about bad files reaches the tests as
// Inventory.Errors, which they check.
func TestMain(m *testing.M) {
	scalibrlog.SetLogger(quiet{})
	os.Exit(m.Run())
}

type quiet struct{}

func (quiet) Errorf(string, ...any) {}
func (quiet) Error(...any)          {}
func (quiet) Warnf(string, ...any)  {}
func (quiet) Warn(...any)           {}
func (quiet) Infof(string, ...any)  {}
func (quiet) Info(...any)           {}
func (quiet) Debugf(string, ...any) {}
func (quiet) Debug(...any)          {}
