//go:build unix

package policy

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used (user + system, all threads): benchmarks
// report it per operation beside wall time, which a loaded machine inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
