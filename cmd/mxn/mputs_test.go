package main

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// testConfig returns a resolved configuration for the test server, as the
// global flags args would give.
func testConfig(t *testing.T, stderr *bytes.Buffer, args ...string) *globalConfig {
	t.Helper()
	cfg := newGlobalConfig(&bytes.Buffer{}, stderr, nil)
	fs := pflag.NewFlagSet("mxn", pflag.ContinueOnError)
	cfg.bindFlags(fs)
	conn := []string{"--host", testHost, "--port", strconv.Itoa(testPort)}
	if err := fs.Parse(append(conn, args...)); err != nil {
		t.Fatal(err)
	}
	if err := cfg.resolve(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestCreateAccountsReportsProgress(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	cfg := testConfig(t, &stderr, "-s", "prog", "--count", "2000")
	c, cleanup, err := connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	if err := c.Truncate(nil, cfg.Namespace, cfg.Set, nil); err != nil {
		t.Fatal(err)
	}
	if err := createAccounts(context.Background(), c, cfg, 2, time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stderr.String(), "mxn: mputs: ") || !strings.Contains(stderr.String(), "/2000 accounts (") {
		t.Fatalf("no progress on stderr: %q", stderr.String())
	}
	if n := len(scanLines(t, "prog")); n != 2000 {
		t.Fatalf("%d accounts, want 2000", n)
	}
}

func TestCreateAccountsStopsOnCancel(t *testing.T) {
	t.Parallel()
	var stderr bytes.Buffer
	cfg := testConfig(t, &stderr, "-s", "cancel", "--count", "100", "--log-level", "none")
	c, cleanup, err := connect(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = createAccounts(ctx, c, cfg, 4, time.Millisecond)
	if err == nil || !strings.Contains(err.Error(), "mputs interrupted: 0 of 100") {
		t.Fatalf("err = %v", err)
	}
	if stderr.Len() != 0 {
		t.Fatalf("--log-level none printed %q", stderr.String())
	}
}
