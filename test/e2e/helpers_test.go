//go:build e2e

package e2e

import (
	"context"
	"crypto/tls"
	"flag"
	"io"
	"net/http"
	"os"
	"os/exec"
	"time"

	. "github.com/onsi/gomega"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

var metricsURL = flag.String("metrics-url", envOr("E2E_METRICS_URL", "https://127.0.0.1:18443/metrics"), "the manager's metrics endpoint, reachable from here")

// crashTransfers leaves transfers half-done: a worker SIGKILLed mid-run
// with failures injected.
func crashTransfers(set string, records int) {
	cmd := exec.Command(*mxnBin, "rtxns", "--duration", "30s", "--records", itoa(int64(records)), "--set", set,
		"--mode", "transfer", "--legs", "3", "--fpct", "100", "--concurrency", "8", "--progress", "0",
		"--lock-ttl", "100ms", "--lock-grace", "50ms")
	cmd.Env = append(os.Environ(), "AEROSPIKE_HOSTS="+*hosts)
	ExpectWithOffset(1, cmd.Start()).To(Succeed())
	time.Sleep(2 * time.Second)
	ExpectWithOffset(1, cmd.Process.Kill()).To(Succeed())
	_ = cmd.Wait()
	time.Sleep(time.Second) // past the dead worker's locks
}

// scrapeMetrics reads the manager's metrics as an authorized client: a
// ServiceAccount bound to the metrics-reader role the operator ships.
func scrapeMetrics() string {
	ctx := context.Background()
	cs, err := kubernetes.NewForConfig(cfg)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	ns := newNamespace()
	sa, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "scraper"}}, metav1.CreateOptions{})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "e2e-scraper-"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "mxn-metrics-reader"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: ns}},
	}
	crb, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	defer func() { _ = cs.RbacV1().ClusterRoleBindings().Delete(ctx, crb.Name, metav1.DeleteOptions{}) }()
	tok, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, sa.Name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}, metav1.CreateOptions{})
	ExpectWithOffset(1, err).NotTo(HaveOccurred())

	// The manager serves its metrics with a self-signed certificate.
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // a test scraping a self-signed endpoint on loopback
	var body string
	EventuallyWithOffset(1, func() int {
		req, _ := http.NewRequest(http.MethodGet, *metricsURL, nil)
		req.Header.Set("Authorization", "Bearer "+tok.Status.Token)
		resp, err := hc.Do(req)
		if err != nil {
			return 0
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return resp.StatusCode
	}, 30*time.Second, time.Second).Should(Equal(http.StatusOK))
	return body
}
