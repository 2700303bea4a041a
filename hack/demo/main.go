// Command demo is `make demo`: on the local three-node cluster it deploys
// the operator and aerolite, then runs the samples in order and narrates:
// a LoadTest of transfers with injected failures and one worker killed
// mid-run, a Reconciliation while the killed worker's transactions are still
// pending, a Cleanup, and a Reconciliation again. The last line says whether
// every account is balanced after cleanup; the exit status is 1 if not.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/internal/netwatch"
)

type options struct {
	kubeconfig, kubectl, root, namespace, hosts string
	overlay                                     string
	duration, timeout                           time.Duration
	workers                                     int
	serviceCIDR                                 string
}

func main() {
	var o options
	flag.StringVar(&o.kubeconfig, "kubeconfig", "bin/kubeconfig", "kubeconfig of the cluster")
	flag.StringVar(&o.kubectl, "kubectl", "bin/k8s/v1.35.4/kubectl", "kubectl binary")
	flag.StringVar(&o.root, "root", ".", "the repository (config/ is read from there)")
	flag.StringVar(&o.namespace, "namespace", "mxn-demo", "namespace of the demo's resources")
	flag.StringVar(&o.overlay, "overlay", "config/local", "kustomize overlay that deploys the operator (and aerolite)")
	flag.StringVar(&o.hosts, "aerospike-hosts", envOr("AEROSPIKE_HOSTS", "127.0.0.1:13000"), "Aerospike seeds host:port[,host:port] (default: the overlay's aerolite)")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "how long the LoadTest's workers run")
	flag.IntVar(&o.workers, "workers", 3, "LoadTest workers (one per zone with three)")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	flag.StringVar(&o.serviceCIDR, "service-cidr", "10.0.0.0/24", "the cluster's Service range: the demo checks that nothing on this machine dials it (empty: no check)")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()
	if err := run(ctx, &o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

type demo struct {
	o   *options
	c   client.Client
	out io.Writer
}

func run(ctx context.Context, o *options, out io.Writer) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", o.kubeconfig)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w (is the cluster up? make cluster-up)", o.kubeconfig, err)
	}
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := mxnv1.AddToScheme(scheme); err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	d := &demo{o: o, c: c, out: out}
	return d.run(ctx)
}

func (d *demo) say(format string, args ...any) {
	fmt.Fprintf(d.out, "%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

func (d *demo) kubectl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, d.o.kubectl, append([]string{"--kubeconfig", d.o.kubeconfig}, args...)...)
	cmd.Dir = d.o.root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("kubectl %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return nil
}

func (d *demo) run(ctx context.Context) error {
	start := time.Now()
	var watch *netwatch.Watch
	if d.o.serviceCIDR != "" {
		w, err := netwatch.Start(d.o.serviceCIDR, 50*time.Millisecond)
		if err != nil {
			return fmt.Errorf("--service-cidr: %w", err)
		}
		watch = w
	}
	d.say("deploying the operator (%s)", d.o.overlay)
	if err := d.kubectl(ctx, "apply", "--server-side", "--force-conflicts", "-k", d.o.overlay); err != nil {
		return err
	}
	for _, name := range []string{"mxn-controller-manager", "mxn-aerolite"} {
		if err := d.waitDeployment(ctx, "mxn-system", name); err != nil {
			return err
		}
	}
	d.say("operator and aerolite ready")
	if err := d.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: d.o.namespace}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	d.cleanPrevious(ctx)

	lt, err := d.loadTest(ctx)
	if err != nil {
		return err
	}
	before, err := d.reconcile(ctx, "before-cleanup")
	if err != nil {
		return err
	}
	cl, err := d.cleanup(ctx)
	if err != nil {
		return err
	}
	after, err := d.reconcile(ctx, "after-cleanup")
	if err != nil {
		return err
	}
	var dialled []string
	if watch != nil {
		var scans int
		dialled, scans = watch.Stop()
		if len(dialled) == 0 {
			d.say("no connection on this machine went to the Service range %s (%d samples of /proc/net/tcp): every packet stayed on it", d.o.serviceCIDR, scans)
		}
	}
	if err := d.report(lt, before, cl, after, time.Since(start)); err != nil {
		return err
	}
	if len(dialled) > 0 {
		return fmt.Errorf("connections to the Service range %s (a ClusterIP dialled, the packets left the machine): %v", d.o.serviceCIDR, dialled)
	}
	return nil
}

// cleanPrevious removes the resources of an earlier demo run.
func (d *demo) cleanPrevious(ctx context.Context) {
	for _, obj := range []client.Object{
		&mxnv1.LoadTest{ObjectMeta: metav1.ObjectMeta{Namespace: d.o.namespace, Name: "transfers"}},
		&mxnv1.Reconciliation{ObjectMeta: metav1.ObjectMeta{Namespace: d.o.namespace, Name: "before-cleanup"}},
		&mxnv1.Reconciliation{ObjectMeta: metav1.ObjectMeta{Namespace: d.o.namespace, Name: "after-cleanup"}},
		&mxnv1.Cleanup{ObjectMeta: metav1.ObjectMeta{Namespace: d.o.namespace, Name: "cleanup"}},
	} {
		_ = d.c.Delete(ctx, obj)
		for ctx.Err() == nil {
			if apierrors.IsNotFound(d.c.Get(ctx, client.ObjectKeyFromObject(obj), obj)) {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

func (d *demo) waitDeployment(ctx context.Context, ns, name string) error {
	for {
		var dep appsv1.Deployment
		err := d.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &dep)
		if err == nil && dep.Status.AvailableReplicas > 0 && dep.Status.UpdatedReplicas == dep.Status.Replicas {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deployment %s/%s not available: %w", ns, name, ctx.Err())
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// sample reads a file of config/samples into obj and points it at the
// demo's Aerospike.
func (d *demo) sample(file string, obj client.Object, name string) (*mxnv1.AerospikeSpec, error) {
	b, err := os.ReadFile(filepath.Join(d.o.root, "config", "samples", file))
	if err != nil {
		return nil, err
	}
	if err := yaml.UnmarshalStrict(b, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	obj.SetNamespace(d.o.namespace)
	obj.SetName(name)
	var spec *mxnv1.AerospikeSpec
	switch o := obj.(type) {
	case *mxnv1.LoadTest:
		spec = &o.Spec.Aerospike
	case *mxnv1.Reconciliation:
		spec = &o.Spec.Aerospike
	case *mxnv1.Cleanup:
		spec = &o.Spec.Aerospike
	}
	seeds, err := parseSeeds(d.o.hosts)
	if err != nil {
		return nil, err
	}
	spec.Seeds, spec.ClusterRef = seeds, nil
	return spec, nil
}

func parseSeeds(hosts string) ([]mxnv1.SeedHost, error) {
	var seeds []mxnv1.SeedHost
	for _, h := range strings.Split(hosts, ",") {
		host, port, ok := strings.Cut(strings.TrimSpace(h), ":")
		var p int32
		if _, err := fmt.Sscan(port, &p); !ok || err != nil || host == "" {
			return nil, fmt.Errorf("aerospike hosts %q: want host:port[,host:port]", hosts)
		}
		seeds = append(seeds, mxnv1.SeedHost{Host: host, Port: p})
	}
	return seeds, nil
}

// loadTest runs the LoadTest sample without its own verification (so that
// the next steps have pending transactions to find and finish), kills one
// worker mid-run, and shows live progress.
func (d *demo) loadTest(ctx context.Context) (*mxnv1.LoadTest, error) {
	var lt mxnv1.LoadTest
	if _, err := d.sample("mxn_v1alpha1_loadtest.yaml", &lt, "transfers"); err != nil {
		return nil, err
	}
	lt.Spec.Workers = int32(d.o.workers)
	lt.Spec.TransactionsPerWorker = nil
	lt.Spec.Duration = &metav1.Duration{Duration: d.o.duration}
	lt.Spec.Verify = ptr(false)
	lt.Spec.Lock = &mxnv1.LockSpec{TTL: &metav1.Duration{Duration: 200 * time.Millisecond}, Grace: &metav1.Duration{Duration: 100 * time.Millisecond}}
	d.say("LoadTest %s: %d workers, %s of %d-leg transfers over %d accounts, %.1f%% of client calls failing; verification left to the next steps",
		lt.Name, lt.Spec.Workers, d.o.duration, deref(lt.Spec.Legs, 2), lt.Spec.Records, float64(lt.Spec.FailurePercent)/10)
	if err := d.c.Create(ctx, &lt); err != nil {
		return nil, err
	}
	killed := ""
	var lastLine string
	for {
		if err := d.c.Get(ctx, client.ObjectKeyFromObject(&lt), &lt); err != nil {
			return nil, err
		}
		line := d.progressLine(ctx, &lt)
		if line != lastLine {
			d.say("%s", line)
			lastLine = line
		}
		if killed == "" && lt.Status.Phase == mxnv1.LoadTestRunning && lt.Status.StartTime != nil &&
			time.Since(lt.Status.StartTime.Time) > d.o.duration/3 {
			if pod, err := d.killWorker(ctx, &lt); err == nil {
				killed = pod
				d.say("killed worker pod %s mid-run (deleted, as when its node is lost)", pod)
			}
		}
		switch lt.Status.Phase {
		case mxnv1.LoadTestSucceeded, mxnv1.LoadTestFailed:
			d.say("LoadTest %s: %s", lt.Status.Phase, lt.Status.Message)
			if killed == "" {
				return nil, errors.New("the run ended before a worker could be killed; use a longer --duration")
			}
			return &lt, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("LoadTest: %w (phase %s)", ctx.Err(), lt.Status.Phase)
		case <-time.After(time.Second):
		}
	}
}

// progressLine is the phase, the workers per node and the throughput.
func (d *demo) progressLine(ctx context.Context, lt *mxnv1.LoadTest) string {
	var pods corev1.PodList
	_ = d.c.List(ctx, &pods, client.InNamespace(lt.Namespace), client.MatchingLabels{"mxn.mxnlabs.io/role": "worker"})
	perNode := map[string]int{}
	for _, p := range pods.Items {
		if p.Spec.NodeName != "" && p.Status.Phase == corev1.PodRunning {
			perNode[p.Spec.NodeName]++
		}
	}
	nodes := make([]string, 0, len(perNode))
	for n, k := range perNode {
		nodes = append(nodes, fmt.Sprintf("%s:%d", n, k))
	}
	sort.Strings(nodes)
	w := lt.Status.Workers
	line := fmt.Sprintf("  %-9s workers %d active %d done %d failed", lt.Status.Phase, w.Active, w.Succeeded, w.Failed)
	if len(nodes) > 0 {
		line += " [" + strings.Join(nodes, " ") + "]"
	}
	if p := lt.Status.Progress; p != nil {
		line += fmt.Sprintf("  committed %d (%d/s)", p.Committed, p.CommittedPerSecond)
	}
	return line
}

func (d *demo) killWorker(ctx context.Context, lt *mxnv1.LoadTest) (string, error) {
	var pods corev1.PodList
	if err := d.c.List(ctx, &pods, client.InNamespace(lt.Namespace), client.MatchingLabels{"mxn.mxnlabs.io/role": "worker"}); err != nil {
		return "", err
	}
	for _, p := range pods.Items {
		if p.Status.Phase == corev1.PodRunning {
			return p.Name, d.c.Delete(ctx, &p, client.GracePeriodSeconds(0))
		}
	}
	return "", errors.New("no running worker")
}

func (d *demo) reconcile(ctx context.Context, name string) (*mxnv1.ReconcileRun, error) {
	var rc mxnv1.Reconciliation
	if _, err := d.sample("mxn_v1alpha1_reconciliation.yaml", &rc, name); err != nil {
		return nil, err
	}
	rc.Spec.Schedule = "" // once, now
	rc.Spec.TimeZone = nil
	d.say("Reconciliation %s: %d shards", name, rc.Spec.Shards)
	if err := d.c.Create(ctx, &rc); err != nil {
		return nil, err
	}
	for {
		if err := d.c.Get(ctx, client.ObjectKeyFromObject(&rc), &rc); err != nil {
			return nil, err
		}
		if lr := rc.Status.LastRun; lr != nil {
			if lr.Phase != mxnv1.RunSucceeded {
				return nil, fmt.Errorf("reconciliation %s failed: %s", name, lr.Message)
			}
			d.say("  %d accounts checked: %d balanced, %d drifted (total drift %d), pending amount %d, %d logs not final; %s",
				lr.AccountsChecked, lr.Balanced, lr.Drifted, lr.TotalDrift, lr.PendingAmount, lr.NonFinalLogs, lr.Message)
			return lr, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reconciliation %s: %w", name, ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func (d *demo) cleanup(ctx context.Context) (*mxnv1.CleanupRun, error) {
	var cl mxnv1.Cleanup
	if _, err := d.sample("mxn_v1alpha1_cleanup.yaml", &cl, "cleanup"); err != nil {
		return nil, err
	}
	cl.Spec.Schedule = ""
	cl.Spec.MinAge = &metav1.Duration{Duration: 0}
	d.say("Cleanup: finishing what the killed worker and the injected failures left pending")
	if err := d.c.Create(ctx, &cl); err != nil {
		return nil, err
	}
	for {
		if err := d.c.Get(ctx, client.ObjectKeyFromObject(&cl), &cl); err != nil {
			return nil, err
		}
		if lr := cl.Status.LastRun; lr != nil {
			if lr.Phase != mxnv1.RunSucceeded {
				return nil, fmt.Errorf("cleanup failed: %s", lr.Message)
			}
			d.say("  %s", lr.Message)
			return lr, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cleanup: %w", ctx.Err())
		case <-time.After(time.Second):
		}
	}
}

func (d *demo) report(lt *mxnv1.LoadTest, before *mxnv1.ReconcileRun, cl *mxnv1.CleanupRun, after *mxnv1.ReconcileRun, took time.Duration) error {
	r := lt.Status.Results
	if r == nil {
		r = &mxnv1.LoadTestResults{}
	}
	fmt.Fprintln(d.out)
	fmt.Fprintf(d.out, "Report (%s)\n", took.Round(time.Second))
	fmt.Fprintf(d.out, "  transactions: %d attempted, %d committed, %d aborted, %d conflicts, %d in doubt%s\n",
		r.Attempted, r.Committed, r.Aborted, r.Conflicts, r.InDoubt, map[bool]string{true: " (partial: a worker was killed)", false: ""}[r.Partial])
	fmt.Fprintf(d.out, "  faults injected: %d before and %d after client calls; workers: %d succeeded, %d failed (killed)\n",
		r.FaultsBefore, r.FaultsAfter, lt.Status.Workers.Succeeded, lt.Status.Workers.Failed)
	fmt.Fprintf(d.out, "  throughput: %d committed/s over %ds; latency p50 %v, p99 %v, max %v\n",
		r.CommittedPerSecond, r.ElapsedSeconds, r.Latency.P50.Duration, r.Latency.P99.Duration, r.Latency.Max.Duration)
	fmt.Fprintf(d.out, "  before cleanup: %d drifted, total drift %d, pending amount %d, %d logs not final\n",
		before.Drifted, before.TotalDrift, before.PendingAmount, before.NonFinalLogs)
	fmt.Fprintf(d.out, "  cleanup: %d rolled forward (amount %d), %d rolled back, %d stale locks, %d undecided\n",
		cl.RolledForward, cl.AmountRolledForward, cl.RolledBack, cl.StaleLocks, cl.Undecided)
	fmt.Fprintf(d.out, "  after cleanup: %d of %d accounts balanced, total %d conserved: %v\n",
		after.Balanced, after.AccountsChecked, after.TotalBalance, after.Conserved)
	fmt.Fprintln(d.out, "The cluster keeps running: bin/k8s/v1.35.4/kubectl --kubeconfig bin/kubeconfig get lt,rcn,cln -A; stop it with make cluster-down.")
	faults := r.FaultsBefore + r.FaultsAfter
	if after.Drifted == 0 && after.LockFailed == 0 && after.Conserved && after.PendingAmount == 0 {
		fmt.Fprintf(d.out, "Zero drift after cleanup: %d accounts balanced, total drift 0, after %d injected faults and %d killed worker.\n",
			after.Balanced, faults, lt.Status.Workers.Failed)
		return nil
	}
	fmt.Fprintf(d.out, "DRIFT after cleanup: %d accounts drifted, total drift %d.\n", after.Drifted, after.TotalDrift)
	return errors.New("the final reconciliation is not clean")
}

func ptr[T any](v T) *T { return &v }

func deref[T any](p *T, d T) T {
	if p == nil {
		return d
	}
	return *p
}
