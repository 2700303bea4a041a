// Command manager is the mxn operator: it runs LoadTests, Reconciliations
// and Cleanups as Jobs of the project image's mxn command.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"
	_ "time/tzdata" // schedules' time zones, also in an image without /usr/share/zoneinfo

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/webhook"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/controllers"
	webhookv1 "github.com/mxnlabs/mxn/internal/webhook/v1alpha1"
)

// defaultWorkerImage is the image worker pods run when neither the resource
// nor --worker-image names one.
const defaultWorkerImage = "ghcr.io/mxnlabs/mxn:latest"

func main() {
	if err := run(ctrl.SetupSignalHandler(), os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "manager:", err)
		os.Exit(1)
	}
}

// run starts the manager and blocks until ctx ends. cfg is the API server
// to use (nil: the kubeconfig or in-cluster config, as controller-runtime
// finds it).
func run(ctx context.Context, args []string, cfg *rest.Config) error {
	fs := flag.NewFlagSet("manager", flag.ContinueOnError)
	var (
		metricsAddr, probeAddr, watchNamespace, workerImage, pull  string
		leaderElect, secureMetrics, enableWebhooks, http2, hostNet bool
		workerEnv                                                  stringList
		startTimeout                                               time.Duration
	)
	fs.StringVar(&metricsAddr, "metrics-bind-address", "0", "address of the metrics endpoint (:8443 for HTTPS, :8080 for HTTP, 0 to disable)")
	fs.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "address of the /healthz and /readyz endpoints")
	fs.BoolVar(&leaderElect, "leader-elect", false, "elect a leader, so that only one manager of several replicas acts")
	fs.BoolVar(&secureMetrics, "metrics-secure", true, "serve metrics over HTTPS, to authenticated and authorized clients only")
	fs.BoolVar(&enableWebhooks, "enable-webhooks", true, "serve the validating webhooks (needs a serving certificate in the webhook server's cert dir)")
	fs.BoolVar(&http2, "enable-http2", false, "allow HTTP/2 on the metrics and webhook servers (off: CVE-2023-44487)")
	fs.StringVar(&watchNamespace, "watch-namespace", os.Getenv("WATCH_NAMESPACE"), "only watch these namespaces (comma-separated; default: all)")
	fs.StringVar(&workerImage, "worker-image", envOr("MXN_WORKER_IMAGE", defaultWorkerImage), "image of worker pods whose resource names none (env MXN_WORKER_IMAGE)")
	fs.StringVar(&pull, "worker-image-pull-policy", "IfNotPresent", "pull policy of the worker image: Always, IfNotPresent or Never (images imported into the nodes)")
	fs.BoolVar(&hostNet, "worker-host-network", false, "run worker pods in their node's network (an Aerospike on the nodes' loopback, as in the local cluster)")
	fs.DurationVar(&startTimeout, "worker-start-timeout", 10*time.Minute, "how long LoadTest workers wait for each other at the common start; a worker whose pod has not started after half of it is given up (counted failed) so the others can go")
	fs.Var(&workerEnv, "worker-env", "NAME=value added to every worker container (repeatable; not for secrets: use spec.aerospike.auth)")
	opts := zap.Options{Development: false}
	opts.BindFlags(fs)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	switch corev1.PullPolicy(pull) {
	case corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever:
	default:
		return fmt.Errorf("--worker-image-pull-policy %q: want Always, IfNotPresent or Never", pull)
	}
	var env []corev1.EnvVar
	for _, kv := range workerEnv {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || name == "" {
			return fmt.Errorf("--worker-env %q: want NAME=value", kv)
		}
		env = append(env, corev1.EnvVar{Name: name, Value: value})
	}
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	log := ctrl.Log.WithName("setup")

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(mxnv1.AddToScheme(scheme))

	var tlsOpts []func(*tls.Config)
	if !http2 {
		tlsOpts = append(tlsOpts, func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} })
	}
	metricsOpts := metricsserver.Options{BindAddress: metricsAddr, SecureServing: secureMetrics, TLSOpts: tlsOpts}
	if secureMetrics {
		metricsOpts.FilterProvider = filters.WithAuthenticationAndAuthorization
	}
	mgrOpts := ctrl.Options{
		Scheme:                 scheme,
		Metrics:                metricsOpts,
		HealthProbeBindAddress: probeAddr,
		LeaderElection:         leaderElect,
		LeaderElectionID:       "mxn-operator.mxnlabs.io",
		WebhookServer:          webhook.NewServer(webhook.Options{TLSOpts: tlsOpts}),
	}
	if ns := strings.TrimSpace(watchNamespace); ns != "" {
		mgrOpts.Cache.DefaultNamespaces = map[string]cache.Config{}
		for _, n := range strings.Split(ns, ",") {
			if n = strings.TrimSpace(n); n != "" {
				mgrOpts.Cache.DefaultNamespaces[n] = cache.Config{}
			}
		}
	}
	if cfg == nil {
		var err error
		if cfg, err = ctrl.GetConfig(); err != nil {
			return fmt.Errorf("find the API server: %w", err)
		}
	}
	mgr, err := ctrl.NewManager(cfg, mgrOpts)
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	conn := controllers.NewClientCache()
	defer conn.Close()
	if err := controllers.Setup(mgr, controllers.Options{Clock: clock.RealClock{}, Connector: conn, Workers: controllers.WorkerDefaults{
		Image: workerImage, PullPolicy: corev1.PullPolicy(pull), HostNetwork: hostNet, Env: env,
	}, StartTimeout: startTimeout}); err != nil {
		return err
	}
	if enableWebhooks {
		if err := webhookv1.SetupReconciliationWebhookWithManager(mgr); err != nil {
			return fmt.Errorf("set up the Reconciliation webhook: %w", err)
		}
		if err := webhookv1.SetupCleanupWebhookWithManager(mgr); err != nil {
			return fmt.Errorf("set up the Cleanup webhook: %w", err)
		}
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("ready check: %w", err)
	}
	log.Info("starting manager", "workerImage", workerImage, "watchNamespace", watchNamespace)
	if err := mgr.Start(ctx); err != nil {
		return fmt.Errorf("run manager: %w", err)
	}
	return nil
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
