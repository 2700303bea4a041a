package main

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/pflag"
)

// Flag defaults, named so help text and validation agree.
const (
	defaultHost      = "127.0.0.1"
	defaultPort      = 3000
	defaultNamespace = "test"
	defaultSet       = "mxn"
	defaultCount     = 10
	maxFPct          = 1000 // --fpct is in tenths of a percent
)

// globalConfig holds mxn's persistent flags for one invocation. Fields are
// bound to flags by bindFlags and completed by resolve; commands read them
// through withClient or configOf, which guarantee resolve has run.
type globalConfig struct {
	// Where to connect. Hosts is filled by resolve from --host/--port, the
	// environment or AEROSPIKE_HOSTS; --embedded replaces it at connect time.
	Host     string
	Port     int
	Hosts    []*as.Host
	Embedded bool
	// server is the embedded aerolite once connected with --embedded (tst
	// turns its fault injection on).
	server *aerolite.Server

	// Which records.
	Namespace string
	Set       string
	UKey      string
	TxnID     string

	// Workload parameters shared by the transaction commands.
	Amt   int64
	Count int
	FPct  int   // injected failure rate in tenths of a percent (0..1000)
	Seed  int64 // random seed; time-based unless --seed is given

	LogLevel string
	Log      *logger

	// SummaryFile receives the worker report (pkg/report) of rtxns, init,
	// cln, rcn and verify; in a pod, /dev/termination-log.
	SummaryFile string

	// Credentials and TLS (see auth.go). The password comes only from the
	// environment and is never printed.
	User        string
	password    string
	TLSCAFile   string
	TLSCertFile string
	TLSKeyFile  string
	TLSName     string
	tlsConfig   *tls.Config

	Stdout io.Writer // command output (records, answers)
	Stderr io.Writer // logs, progress, errors

	args     []string // the command line, for advice that repeats it
	getenv   func(string) string
	flags    *pflag.FlagSet // the root's persistent flags, for Changed
	started  bool           // a command body began running (see prepareCommand)
	resolved bool
	err      error // resolve's outcome, kept so every caller sees it
}

func newGlobalConfig(stdout, stderr io.Writer, getenv func(string) string) *globalConfig {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	return &globalConfig{Stdout: stdout, Stderr: stderr, getenv: getenv, Log: newLogger(stderr, levelErr)}
}

// bindFlags declares the persistent flags on fs and binds them to cfg.
func (cfg *globalConfig) bindFlags(fs *pflag.FlagSet) {
	cfg.flags = fs
	fs.StringVar(&cfg.Host, "host", defaultHost, "Aerospike seed host (env AS_HOST)")
	fs.IntVar(&cfg.Port, "port", defaultPort, "Aerospike port (env AS_PORT)")
	fs.BoolVar(&cfg.Embedded, "embedded", false, "run an in-process aerolite server for the duration of the command and use it")
	fs.StringVarP(&cfg.Namespace, "namespace", "n", defaultNamespace, "namespace")
	fs.StringVarP(&cfg.Set, "set", "s", defaultSet, "account set (its log set is <set>log)")
	fs.StringVarP(&cfg.UKey, "ukey", "u", "", "user key of the record")
	fs.StringVar(&cfg.TxnID, "txnid", "", "transaction id (default: a new uuid)")
	fs.Int64Var(&cfg.Amt, "amt", 0, "amount")
	fs.IntVar(&cfg.Count, "count", defaultCount, "number of records or transactions")
	fs.IntVar(&cfg.FPct, "fpct", 0, "injected failure rate in tenths of a percent (0..1000; 50 = 5%)")
	fs.Int64Var(&cfg.Seed, "seed", 0, "random seed (default: time-based, logged at dbg)")
	fs.StringVar(&cfg.LogLevel, "log-level", "err", "log level: none|err|wrn|inf|dbg")
	fs.StringVar(&cfg.SummaryFile, "summary-file", "", "rtxns, init, cln, rcn, verify: also write the report as compact JSON (at most 4096 bytes) to this file, also on failure (e.g. /dev/termination-log)")
	bindAuthFlags(fs, cfg)
}

// resolve validates the flags and applies the environment. It runs once;
// later calls return the first outcome. Errors are usage errors.
func (cfg *globalConfig) resolve() error {
	if cfg.resolved {
		return cfg.err
	}
	cfg.resolved = true
	cfg.err = cfg.doResolve()
	return cfg.err
}

func (cfg *globalConfig) doResolve() error {
	level, err := parseLogLevel(cfg.LogLevel)
	if err != nil {
		return usageError{err}
	}
	cfg.Log = newLogger(cfg.Stderr, level)
	switch {
	case cfg.Namespace == "":
		return usageErrorf("--namespace must not be empty")
	case cfg.Set == "":
		return usageErrorf("--set must not be empty")
	case cfg.FPct < 0 || cfg.FPct > maxFPct:
		return usageErrorf("--fpct %d out of range 0..%d (tenths of a percent)", cfg.FPct, maxFPct)
	case cfg.Count < 0:
		return usageErrorf("--count %d must not be negative", cfg.Count)
	}
	if !cfg.changed("seed") {
		cfg.Seed = time.Now().UnixNano()
	}
	cfg.Log.Dbgf("seed %d", cfg.Seed)
	if err := cfg.resolveAuth(); err != nil {
		return err
	}
	if cfg.Embedded {
		return nil // connect starts the server and ignores host settings
	}
	hosts, err := cfg.resolveHosts()
	if err != nil {
		return usageError{err}
	}
	cfg.Hosts = hosts
	return nil
}

// resolveHosts picks the seed hosts. Precedence: explicit --host/--port,
// then AEROSPIKE_HOSTS, then AS_HOST/AS_PORT, then the defaults.
func (cfg *globalConfig) resolveHosts() ([]*as.Host, error) {
	explicit := cfg.changed("host") || cfg.changed("port")
	if list := strings.TrimSpace(cfg.getenv("AEROSPIKE_HOSTS")); list != "" && !explicit {
		return parseHostList(list, defaultPort)
	}
	if v := cfg.getenv("AS_HOST"); v != "" && !cfg.changed("host") {
		cfg.Host = v
	}
	portFrom := "--port "
	if v := cfg.getenv("AS_PORT"); v != "" && !cfg.changed("port") {
		p, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("AS_PORT=%q is not a port number", v)
		}
		cfg.Port, portFrom = p, "AS_PORT="
	}
	if cfg.Host == "" {
		return nil, fmt.Errorf("--host must not be empty")
	}
	if checkPort(cfg.Port) != nil {
		return nil, fmt.Errorf("%s%d out of range 1..65535", portFrom, cfg.Port)
	}
	return []*as.Host{as.NewHost(cfg.Host, cfg.Port)}, nil
}

func (cfg *globalConfig) changed(flag string) bool {
	return cfg.flags != nil && cfg.flags.Changed(flag)
}

// parseHostList parses "h1:p1,h2,[::1]:3000"; entries without a port get
// defPort.
func parseHostList(list string, defPort int) ([]*as.Host, error) {
	var hosts []*as.Host
	for _, entry := range strings.Split(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		host, port := entry, defPort
		if h, p, err := net.SplitHostPort(entry); err == nil {
			n, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("AEROSPIKE_HOSTS entry %q: port %q is not a number", entry, p)
			}
			host, port = h, n
		} else if strings.Contains(entry, ":") {
			return nil, fmt.Errorf("AEROSPIKE_HOSTS entry %q: want host or host:port ([addr]:port for IPv6)", entry)
		}
		if host == "" {
			return nil, fmt.Errorf("AEROSPIKE_HOSTS entry %q has no host", entry)
		}
		if err := checkPort(port); err != nil {
			return nil, fmt.Errorf("AEROSPIKE_HOSTS entry %q: %w", entry, err)
		}
		hosts = append(hosts, as.NewHost(host, port))
	}
	if len(hosts) == 0 {
		return nil, fmt.Errorf("AEROSPIKE_HOSTS=%q lists no hosts", list)
	}
	return hosts, nil
}

func checkPort(p int) error {
	if p < 1 || p > 65535 {
		return fmt.Errorf("port %d out of range 1..65535", p)
	}
	return nil
}

// hostList renders hosts for messages: "a:3000,b:3000".
func hostList(hosts []*as.Host) string {
	parts := make([]string, len(hosts))
	for i, h := range hosts {
		parts[i] = h.String()
	}
	return strings.Join(parts, ",")
}
