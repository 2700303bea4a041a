//go:build e2e

// Package e2e runs the operator end to end on a real cluster: the local
// three-node cluster (make test-e2e) or any cluster of a kubeconfig (kind:
// hack/kind-e2e.sh) where the operator is deployed and an Aerospike (or
// aerolite) answers at E2E_AEROSPIKE_HOSTS from the nodes and from here.
package e2e

import (
	"context"
	"flag"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

var (
	kubeconfig = flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig of the cluster under test")
	kubectlBin = flag.String("kubectl", envOr("KUBECTL", "kubectl"), "kubectl binary")
	mxnBin     = flag.String("mxn", envOr("MXN", "../../bin/mxn"), "mxn binary, to set up and inspect data")
	hosts      = flag.String("aerospike-hosts", envOr("E2E_AEROSPIKE_HOSTS", "127.0.0.1:13000"), "Aerospike seeds, reachable from the nodes and from here")
	operatorNS = flag.String("operator-namespace", "mxn-system", "namespace of the operator")

	cfg    *rest.Config
	k8s    client.Client
	scheme = runtime.NewScheme()
)

func envOr(k, d string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return d
}

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "e2e")
}

var _ = BeforeSuite(func() {
	Expect(*kubeconfig).NotTo(BeEmpty(), "give --kubeconfig or KUBECONFIG")
	var err error
	cfg, err = clientcmd.BuildConfigFromFlags("", *kubeconfig)
	Expect(err).NotTo(HaveOccurred())
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(mxnv1.AddToScheme(scheme)).To(Succeed())
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	startClusterIPWatch()
	By("the operator is running")
	Eventually(func() int {
		var pods corev1.PodList
		_ = k8s.List(context.Background(), &pods, client.InNamespace(*operatorNS), client.MatchingLabels{"control-plane": "controller-manager"})
		n := 0
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
					n++
				}
			}
		}
		return n
	}, 2*time.Minute, time.Second).Should(Equal(1))
})

var _ = AfterSuite(checkClusterIPWatch)

// mxn runs the mxn CLI against the cluster's Aerospike from the test
// machine.
func mxn(args ...string) string {
	cmd := exec.Command(*mxnBin, args...)
	cmd.Env = append(os.Environ(), "AEROSPIKE_HOSTS="+*hosts)
	out, err := cmd.CombinedOutput()
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "mxn %s: %s", strings.Join(args, " "), out)
	return string(out)
}

func kubectl(args ...string) string {
	cmd := exec.Command(*kubectlBin, append([]string{"--kubeconfig", *kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "kubectl %s: %s", strings.Join(args, " "), out)
	return string(out)
}

func newNamespace() string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-"}}
	Expect(k8s.Create(context.Background(), ns)).To(Succeed())
	DeferCleanup(func() { _ = k8s.Delete(context.Background(), ns) })
	return ns.Name
}

func seeds() []mxnv1.SeedHost {
	var out []mxnv1.SeedHost
	for _, h := range strings.Split(*hosts, ",") {
		host, port, _ := strings.Cut(h, ":")
		var p int32
		for _, ch := range port {
			p = p*10 + int32(ch-'0')
		}
		out = append(out, mxnv1.SeedHost{Host: host, Port: p})
	}
	return out
}

func ptrTo[T any](v T) *T { return &v }
