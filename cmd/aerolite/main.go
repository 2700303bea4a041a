// Command aerolite runs an Aerospike-wire-compatible single-node server
// backed by memory, for demos and tests.
//
//	aerolite --listen 127.0.0.1:3000 --namespace test
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/mxnlabs/mxn/pkg/aerolite"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, stop))
}

// Exit codes.
const (
	exitOK    = 0
	exitError = 2 // bad flags, or the server could not start or stop
)

const usageText = `aerolite: a single-node, Aerospike-wire-compatible in-memory server.

Usage: aerolite [flags]

Runs until SIGINT or SIGTERM. Connection errors are logged, one line each.

Flags:
`

// run is the command: it parses args, serves until stop receives a signal,
// and returns the exit code. --help goes to stdout; errors and the log go
// to stderr.
func run(args []string, stdout, stderr io.Writer, stop <-chan os.Signal) int {
	fail := func(err error) int {
		// Errors from the aerolite package already carry its name.
		fmt.Fprintf(stderr, "aerolite: %s\n", strings.TrimPrefix(err.Error(), "aerolite: "))
		return exitError
	}
	fs := flag.NewFlagSet("aerolite", flag.ContinueOnError)
	// The flag package would print parse errors and the whole usage text
	// to its output; run reports errors itself, in one line.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText)
		fs.PrintDefaults()
	}
	listen := fs.String("listen", "127.0.0.1:3000", "address to listen on (host:port; port 0 picks a free one)")
	namespaces := fs.String("namespace", "test", "comma-separated namespaces to serve")
	cluster := fs.String("cluster-name", "aerolite", "cluster name answered to the client's cluster-name check")
	defaultTTL := fs.Duration("default-ttl", 0, "TTL of records written with the server default, in whole seconds (0 = never expire)")
	pendingLimit := fs.Int("pending-limit", 20, "writes that may queue on one record before KEY_BUSY (negative disables)")
	maxFrame := fs.Int("max-frame", 0, "largest accepted frame in bytes (0 = 128 MiB)")
	faultSeed := fs.Int64("fault-seed", 1, "seed for random faults")
	dropBefore := fs.Float64("fault-drop-before", 0, "percent of commands whose connection is dropped before they are applied")
	dropAfter := fs.Float64("fault-drop-after", 0, "percent of commands applied and then answered by dropping the connection (in doubt)")
	failPct := fs.Float64("fault-fail", 0, "percent of commands answered with --fault-code without being applied")
	failCode := fs.Int("fault-code", 14, "result code for --fault-fail (14 = KEY_BUSY)")
	delayPct := fs.Float64("fault-delay", 0, "percent of commands whose reply is delayed by --fault-delay-by")
	delayBy := fs.Duration("fault-delay-by", 50*time.Millisecond, "reply delay for --fault-delay")
	writesOnly := fs.Bool("fault-writes-only", false, "inject faults into writes only")
	quiet := fs.Bool("quiet", false, "do not log connection errors")
	var users userFlag
	fs.Var(&users, "user", "a user that may log in, as name:password (repeatable); any --user enables security: clients must log in")
	addrFile := fs.String("addr-file", "", "write the listening address to this file once ready (for scripts using port 0)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return exitOK
		}
		return fail(fmt.Errorf("%v (see --help)", err))
	}
	if fs.NArg() > 0 {
		return fail(fmt.Errorf("unexpected argument %q (see --help)", fs.Arg(0)))
	}
	if err := checkFlags(fs); err != nil {
		return fail(err)
	}
	userMap, err := users.parse()
	if err != nil {
		return fail(err)
	}
	logger := log.New(stderr, "", log.LstdFlags)
	opts := aerolite.Options{
		Listen:       *listen,
		Namespaces:   strings.Split(*namespaces, ","),
		ClusterName:  *cluster,
		DefaultTTL:   uint32(*defaultTTL / time.Second),
		PendingLimit: *pendingLimit,
		MaxFrameSize: *maxFrame,
		Logger:       logger,
		Users:        userMap,
	}
	if *quiet {
		opts.Logger = nil
	}
	srv, err := aerolite.NewServer(opts)
	if err != nil {
		return fail(err)
	}
	if *dropBefore+*dropAfter+*failPct+*delayPct > 0 {
		srv.Faults().Set(aerolite.FaultConfig{
			Seed: *faultSeed, DropBeforePct: *dropBefore, DropAfterPct: *dropAfter,
			FailPct: *failPct, FailCode: aerolite.ResultCode(*failCode),
			DelayPct: *delayPct, Delay: *delayBy, WritesOnly: *writesOnly,
		})
	}
	if *addrFile != "" {
		if err := os.WriteFile(*addrFile, []byte(srv.Addr()+"\n"), 0o644); err != nil {
			srv.Close()
			return fail(fmt.Errorf("write --addr-file: %w", err))
		}
	}
	security := ""
	if len(userMap) > 0 {
		security = fmt.Sprintf(", security on: %d users", len(userMap))
	}
	logger.Printf("aerolite listening on %s (namespaces %s, cluster %s%s)", srv.Addr(), *namespaces, *cluster, security)
	s := <-stop
	logger.Printf("aerolite: %v received, shutting down", s)
	if err := srv.Close(); err != nil {
		return fail(err)
	}
	return exitOK
}

// faultPctFlags are the flags that take a percentage of commands. The
// server draws one number per command for all of them together, so their
// sum is a percentage too.
var faultPctFlags = []string{"fault-drop-before", "fault-drop-after", "fault-fail", "fault-delay"}

// checkFlags rejects values outside the range a flag allows, naming the
// flag and the value as given.
func checkFlags(fs *flag.FlagSet) error {
	get := func(name string) flag.Getter { return fs.Lookup(name).Value.(flag.Getter) }
	bad := func(name, why string) error {
		return fmt.Errorf("invalid value %q for --%s: %s", fs.Lookup(name).Value.String(), name, why)
	}
	sum := 0.0
	for _, name := range faultPctFlags {
		p := get(name).Get().(float64)
		if !(p >= 0 && p <= 100) { // also rejects NaN
			return bad(name, "a percentage must be between 0 and 100")
		}
		sum += p
	}
	if sum > 100 {
		var set []string
		for _, name := range faultPctFlags {
			if p := get(name).Get().(float64); p > 0 {
				set = append(set, fmt.Sprintf("--%s %s", name, fs.Lookup(name).Value.String()))
			}
		}
		return fmt.Errorf("fault percentages add up to more than 100 (%s)", strings.Join(set, " + "))
	}
	if c := get("fault-code").Get().(int); c < 0 || c > 255 {
		return bad("fault-code", "not a result code (0-255)")
	}
	if d := get("fault-delay-by").Get().(time.Duration); d < 0 {
		return bad("fault-delay-by", "a delay cannot be negative")
	}
	switch d := get("default-ttl").Get().(time.Duration); {
	case d < 0:
		return bad("default-ttl", "a TTL cannot be negative")
	case d%time.Second != 0:
		return bad("default-ttl", "a TTL is a whole number of seconds")
	case d/time.Second > math.MaxUint32-2: // the two largest values mean "never expire" and "keep the TTL"
		return bad("default-ttl", "too long")
	}
	if n := get("max-frame").Get().(int); n < 0 {
		return bad("max-frame", "a size cannot be negative (0 = the default, 128 MiB)")
	}
	return nil
}

// userFlag collects --user values. They are checked after parsing, by
// parse, so that an error never echoes a password (the flag package would
// quote the whole value).
type userFlag []string

func (u *userFlag) String() string { return "" }

func (u *userFlag) Set(v string) error {
	*u = append(*u, v)
	return nil
}

// parse turns the --user values (name:password, split at the first colon)
// into aerolite.Options.Users.
func (u userFlag) parse() (map[string]string, error) {
	if len(u) == 0 {
		return nil, nil
	}
	users := map[string]string{}
	for _, v := range u {
		name, password, ok := strings.Cut(v, ":")
		switch {
		case !ok:
			return nil, fmt.Errorf("invalid value %q for --user: want name:password", v)
		case name == "":
			return nil, fmt.Errorf("invalid value for --user: empty user name (want name:password)")
		}
		if _, dup := users[name]; dup {
			return nil, fmt.Errorf("invalid value for --user: user %q given twice", name)
		}
		users[name] = password
	}
	return users, nil
}
