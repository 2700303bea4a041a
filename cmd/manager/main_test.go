package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// The manager binary's own wiring: it starts against an API server, answers
// its probes and serves metrics, and its controllers act on a LoadTest (the
// first Jobs appear; envtest runs no pods).
func TestManagerStartsAndReconciles(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatal("KUBEBUILDER_ASSETS is not set: run `export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh)` (make test does it)")
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = env.Stop() }()

	probe, metrics := freePort(t), freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{
			"--enable-webhooks=false", "--metrics-secure=false",
			fmt.Sprintf("--health-probe-bind-address=127.0.0.1:%d", probe),
			fmt.Sprintf("--metrics-bind-address=127.0.0.1:%d", metrics),
			"--worker-image=mxn:test",
		}, cfg)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	}()

	get := func(url string) (int, error) {
		resp, err := http.Get(url)
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, path := range []string{fmt.Sprintf("http://127.0.0.1:%d/readyz", probe), fmt.Sprintf("http://127.0.0.1:%d/healthz", probe), fmt.Sprintf("http://127.0.0.1:%d/metrics", metrics)} {
		for {
			code, err := get(path)
			if err == nil && code == http.StatusOK {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d %v", path, code, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	scheme := runtime.NewScheme()
	if err := mxnv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	lt := &mxnv1.LoadTest{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "smoke"},
		Spec: mxnv1.LoadTestSpec{
			Aerospike:             mxnv1.AerospikeSpec{Seeds: []mxnv1.SeedHost{{Host: "127.0.0.1", Port: 1}}},
			Workers:               2,
			TransactionsPerWorker: ptr(int64(1)),
		},
	}
	if err := c.Create(ctx, lt); err != nil {
		t.Fatal(err)
	}
	for {
		if err := c.Get(ctx, client.ObjectKeyFromObject(lt), lt); err != nil {
			t.Fatal(err)
		}
		if lt.Status.Phase == mxnv1.LoadTestStarting {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the LoadTest stayed in phase %q", lt.Status.Phase)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func ptr[T any](v T) *T { return &v }
