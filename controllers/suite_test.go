package controllers

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/internal/jobrunner"
	"github.com/mxnlabs/mxn/pkg/aerolite"
)

// The suite: a real kube-apiserver and etcd (envtest), the operator's
// controllers in a manager, an aerolite, and a job runner that runs every
// Job's real mxn command line against it.
var (
	testEnv   *envtest.Environment
	cfg       *rest.Config
	k8s       client.Client // reads straight from the API server
	scheme    = runtime.NewScheme()
	server    *aerolite.Server
	mxnBin    string
	runner    *jobrunner.Runner
	testClock = &offsetClock{}
	logSink   = &capturedLog{}

	mgrCancel context.CancelFunc
	mgrDone   chan struct{}
	suiteCtx  context.Context
	suiteStop context.CancelFunc
)

func TestControllers(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controllers Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(logSink), zap.UseDevMode(true)))
	suiteCtx, suiteStop = context.WithCancel(context.Background())

	assets := os.Getenv("KUBEBUILDER_ASSETS")
	Expect(assets).NotTo(BeEmpty(), "KUBEBUILDER_ASSETS is not set: run `export KUBEBUILDER_ASSETS=$(hack/setup-envtest.sh)` (make test does it)")

	By("building mxn, the workers' command")
	dir := GinkgoT().TempDir()
	mxnBin = filepath.Join(dir, "mxn")
	build := exec.Command("go", "build", "-o", mxnBin, "github.com/mxnlabs/mxn/cmd/mxn")
	build.Stdout, build.Stderr = GinkgoWriter, GinkgoWriter
	Expect(build.Run()).To(Succeed())

	By("starting aerolite")
	var err error
	server, err = aerolite.NewServer(aerolite.Options{})
	Expect(err).NotTo(HaveOccurred())

	By("starting envtest")
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(mxnv1.AddToScheme(scheme)).To(Succeed())
	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err = testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	runner = &jobrunner.Runner{
		Client:   k8s,
		Binaries: map[string]string{mxnPath: mxnBin},
		Selector: client.MatchingLabels{LabelManagedBy: managedBy},
		Nodes:    []string{"node-a", "node-b", "node-c"},
		Hold:     holds.wait,
	}
	Expect(runner.Start(suiteCtx)).To(Succeed())
	startManager()
})

var _ = AfterSuite(func() {
	stopManager()
	if suiteStop != nil {
		suiteStop()
	}
	if runner != nil {
		runner.Wait()
	}
	if testEnv != nil {
		Expect(testEnv.Stop()).To(Succeed())
	}
	if server != nil {
		Expect(server.Close()).To(Succeed())
	}
})

// startManager runs the controllers in a new manager (also to restart the
// operator mid-run).
func startManager() {
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:     scheme,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Controller: config.Controller{SkipNameValidation: ptrTo(true)},
	})
	Expect(err).NotTo(HaveOccurred())
	conn := NewClientCache()
	Expect(Setup(mgr, Options{Clock: testClock, Connector: conn, Workers: WorkerDefaults{Image: "mxn:test"}, StatusInterval: time.Second, StartTimeout: 20 * time.Second})).To(Succeed())
	ctx, cancel := context.WithCancel(suiteCtx)
	mgrCancel = cancel
	mgrDone = make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(mgrDone)
		defer conn.Close()
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
}

func stopManager() {
	if mgrCancel != nil {
		mgrCancel()
		<-mgrDone
		mgrCancel = nil
	}
}

// jobHolds keeps the Jobs of a namespace from running until released, to
// act while a run is active.
type jobHolds struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

var holds = &jobHolds{ch: map[string]chan struct{}{}}

// hold makes the Jobs of ns wait; the returned func lets them go.
func (h *jobHolds) hold(ns string) func() {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := make(chan struct{})
	h.ch[ns] = c
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			delete(h.ch, ns)
			h.mu.Unlock()
			close(c)
		})
	}
}

func (h *jobHolds) wait(job *batchv1.Job) {
	h.mu.Lock()
	c := h.ch[job.Namespace]
	if c == nil {
		c = h.ch[job.Namespace+"/"+job.Name]
	}
	h.mu.Unlock()
	if c != nil {
		select {
		case <-c:
		case <-suiteCtx.Done():
		}
	}
}

// offsetClock is the wall clock moved by an offset the schedule specs step.
type offsetClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *offsetClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

func (c *offsetClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }

// Set moves the clock to t.
func (c *offsetClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = time.Until(t)
}

// capturedLog keeps every log line of the suite, to check no secret leaks.
type capturedLog struct {
	mu  sync.Mutex
	buf []byte
}

func (l *capturedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	return GinkgoWriter.Write(p)
}

func (l *capturedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.buf)
}

// newNamespace gives each spec its own namespace.
func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "mxn-"}}
	Expect(k8s.Create(context.Background(), ns)).To(Succeed())
	return ns.Name
}

// aeroliteSpec points a resource at the suite's aerolite, in its own set.
func aeroliteSpec(set string) mxnv1.AerospikeSpec {
	return mxnv1.AerospikeSpec{
		Seeds:     []mxnv1.SeedHost{{Host: server.Host(), Port: int32(server.Port())}},
		Namespace: "test",
		Set:       set,
	}
}
