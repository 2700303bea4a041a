package main

// Credentials and TLS for the client.
//
// The user comes from --user or $AEROSPIKE_USER, the password only from
// $AEROSPIKE_PASSWORD (never a flag, never printed or logged). TLS is on
// when --tls-ca-file or --tls-cert-file/--tls-key-file are given; the
// server certificate's name, --tls-name or $AEROSPIKE_TLS_NAME, applies to
// every host. --embedded ignores both (aerolite has neither).

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	as "github.com/aerospike/aerospike-client-go/v7"
	"github.com/spf13/pflag"
)

// Environment variables of the credentials and TLS settings.
const (
	envUser     = "AEROSPIKE_USER"
	envPassword = "AEROSPIKE_PASSWORD"
	envTLSName  = "AEROSPIKE_TLS_NAME"
)

func bindAuthFlags(fs *pflag.FlagSet, cfg *globalConfig) {
	fs.StringVar(&cfg.User, "user", "", "user name for an Aerospike with security enabled (env "+envUser+"; the password only from env "+envPassword+")")
	fs.StringVar(&cfg.TLSCAFile, "tls-ca-file", "", "PEM file of the CA(s) that signed the server certificate: connect with TLS")
	fs.StringVar(&cfg.TLSCertFile, "tls-cert-file", "", "PEM client certificate for mutual TLS (with --tls-key-file)")
	fs.StringVar(&cfg.TLSKeyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
	fs.StringVar(&cfg.TLSName, "tls-name", "", "name in the server certificate, for every host (env "+envTLSName+")")
}

// resolveAuth applies the environment to the credential and TLS settings
// and checks them; errors name the flag (or variable) at fault.
func (cfg *globalConfig) resolveAuth() error {
	if !cfg.changed("user") {
		if v := cfg.getenv(envUser); v != "" {
			cfg.User = v
		}
	}
	cfg.password = cfg.getenv(envPassword)
	if cfg.password != "" && cfg.User == "" {
		return usageErrorf("%s is set but no user: give --user or %s", envPassword, envUser)
	}
	if !cfg.changed("tls-name") {
		if v := cfg.getenv(envTLSName); v != "" {
			cfg.TLSName = v
		}
	}
	name := cfg.TLSName
	if !cfg.changed("tls-name") && cfg.TLSCAFile == "" && cfg.TLSCertFile == "" {
		name = "" // from the environment, with TLS off: unused
	}
	tc, err := buildTLSConfig(cfg.TLSCAFile, cfg.TLSCertFile, cfg.TLSKeyFile, name)
	if err != nil {
		return usageError{err}
	}
	cfg.tlsConfig = tc
	if tc == nil {
		cfg.TLSName = "" // no TLS: hosts get no TLS name
	}
	return nil
}

// buildTLSConfig returns the client's TLS settings, or nil when no TLS
// flag is given. A client certificate needs its key and the reverse; every
// file must be readable PEM.
func buildTLSConfig(caFile, certFile, keyFile, name string) (*tls.Config, error) {
	switch {
	case certFile != "" && keyFile == "":
		return nil, fmt.Errorf("--tls-cert-file needs --tls-key-file")
	case keyFile != "" && certFile == "":
		return nil, fmt.Errorf("--tls-key-file needs --tls-cert-file")
	case caFile == "" && certFile == "":
		if name != "" {
			return nil, fmt.Errorf("--tls-name %q needs --tls-ca-file or --tls-cert-file (TLS is off)", name)
		}
		return nil, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: name}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--tls-ca-file %s: no PEM certificate in it", caFile)
		}
		tc.RootCAs = pool
	}
	if certFile != "" {
		// In flag order, so that the first bad one is always the one named.
		for _, ff := range []struct{ flag, file string }{{"tls-cert-file", certFile}, {"tls-key-file", keyFile}} {
			if _, err := os.Stat(ff.file); err != nil {
				return nil, fmt.Errorf("--%s: %w", ff.flag, err)
			}
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("--tls-cert-file/--tls-key-file: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// clientPolicy is the client policy for cfg: timeouts, credentials and TLS
// (neither against --embedded).
func clientPolicy(cfg *globalConfig) *as.ClientPolicy {
	policy := as.NewClientPolicy()
	policy.Timeout = connectTimeout
	if cfg.Embedded {
		return policy
	}
	if cfg.User != "" {
		policy.User, policy.Password = cfg.User, cfg.password
	}
	policy.TlsConfig = cfg.tlsConfig
	return policy
}

// authArgs repeats the credential and TLS flags for a subprocess (tst's
// workers); the password reaches it through the inherited environment.
func (cfg *globalConfig) authArgs() []string {
	var args []string
	for _, f := range []struct{ flag, v string }{
		{"--user", cfg.User}, {"--tls-ca-file", cfg.TLSCAFile}, {"--tls-cert-file", cfg.TLSCertFile},
		{"--tls-key-file", cfg.TLSKeyFile}, {"--tls-name", cfg.TLSName},
	} {
		if f.v != "" {
			args = append(args, f.flag, f.v)
		}
	}
	return args
}
