package main

import (
	"context"
	"os"
	"testing"
)

// cliEnvVar makes the test binary behave as the hallmark command, so that tests can run
// hallmark as a real process (a log server they kill, for instance) without building it.
const cliEnvVar = "HALLMARK_TEST_AS_CLI"

func TestMain(m *testing.M) {
	if os.Getenv(cliEnvVar) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
	}
	os.Exit(m.Run())
}
