package controllers

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	as "github.com/aerospike/aerospike-client-go/v7"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// Connector gives the operator its own client to a resource's cluster, for
// the small reads and writes it does there (the workers' common start and
// live progress). Workers connect on their own.
type Connector interface {
	Client(ctx context.Context, r client.Reader, namespace string, spec *mxnv1.AerospikeSpec) (as.ClientIfc, error)
}

// ClientCache connects once per distinct cluster and credentials and keeps
// the client.
type ClientCache struct {
	mu      sync.Mutex
	clients map[string]*as.Client
	// Timeout bounds connecting and each command (default 2 s).
	Timeout time.Duration
}

// NewClientCache returns an empty cache.
func NewClientCache() *ClientCache { return &ClientCache{clients: map[string]*as.Client{}} }

// Client returns a connected client for spec, reading its Secrets.
func (cc *ClientCache) Client(ctx context.Context, r client.Reader, namespace string, spec *mxnv1.AerospikeSpec) (as.ClientIfc, error) {
	timeout := cc.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	policy := as.NewClientPolicy()
	policy.Timeout = timeout
	policy.FailIfNotConnected = true
	id := sha256.New()
	fmt.Fprintf(id, "%v\x00", hostsOf(spec, namespace))
	if a := spec.Auth; a != nil {
		pw, err := secretValue(ctx, r, namespace, a.SecretName, passwordKey)
		if err != nil {
			return nil, fmt.Errorf("spec.aerospike.auth: %w", err)
		}
		policy.User, policy.Password = a.User, string(pw)
		fmt.Fprintf(id, "%s\x00%s\x00", a.User, pw)
	}
	var tlsName string
	if t := spec.TLS; t != nil {
		cfg, err := tlsConfig(ctx, r, namespace, t)
		if err != nil {
			return nil, fmt.Errorf("spec.aerospike.tls: %w", err)
		}
		policy.TlsConfig = cfg
		tlsName = t.TLSName
		fmt.Fprintf(id, "tls\x00%s\x00%s\x00", t.SecretName, t.TLSName)
	}
	key := hex.EncodeToString(id.Sum(nil))

	cc.mu.Lock()
	defer cc.mu.Unlock()
	if c, ok := cc.clients[key]; ok && c.IsConnected() {
		return c, nil
	}
	var hosts []*as.Host
	for _, hp := range hostsOf(spec, namespace) {
		h, p, err := net.SplitHostPort(hp)
		if err != nil {
			return nil, fmt.Errorf("host %q: %w", hp, err)
		}
		port, _ := strconv.Atoi(p)
		host := as.NewHost(h, port)
		host.TLSName = tlsName
		hosts = append(hosts, host)
	}
	c, err := as.NewClientWithPolicyAndHost(policy, hosts...)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", describeHosts(spec, namespace), err)
	}
	c.DefaultPolicy.TotalTimeout = timeout
	c.DefaultWritePolicy.TotalTimeout = timeout
	c.DefaultBatchPolicy.TotalTimeout = timeout
	if old, ok := cc.clients[key]; ok {
		old.Close()
	}
	if cc.clients == nil {
		cc.clients = map[string]*as.Client{}
	}
	cc.clients[key] = c
	return c, nil
}

// Close closes every client.
func (cc *ClientCache) Close() {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for k, c := range cc.clients {
		c.Close()
		delete(cc.clients, k)
	}
}

func secretValue(ctx context.Context, r client.Reader, namespace, name, key string) ([]byte, error) {
	var s corev1.Secret
	if err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &s); err != nil {
		return nil, fmt.Errorf("secret %s: %w", name, err)
	}
	v, ok := s.Data[key]
	if !ok {
		return nil, fmt.Errorf("secret %s has no key %q", name, key)
	}
	return v, nil
}

func tlsConfig(ctx context.Context, r client.Reader, namespace string, t *mxnv1.TLSSpec) (*tls.Config, error) {
	ca := t.CAFile
	if ca == "" {
		ca = "ca.crt"
	}
	caPEM, err := secretValue(ctx, r, namespace, t.SecretName, ca)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, errors.New("caFile holds no PEM certificate")
	}
	cfg := &tls.Config{RootCAs: pool, ServerName: t.TLSName, MinVersion: tls.VersionTLS12}
	if t.CertFile != "" {
		certPEM, err := secretValue(ctx, r, namespace, t.SecretName, t.CertFile)
		if err != nil {
			return nil, err
		}
		keyPEM, err := secretValue(ctx, r, namespace, t.SecretName, t.KeyFile)
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		cfg.Certificates = []tls.Certificate{pair}
	}
	return cfg, nil
}
