package controllers

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

func getCL(ns, name string) *mxnv1.Cleanup {
	var cl mxnv1.Cleanup
	ExpectWithOffset(1, k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &cl)).To(Succeed())
	return &cl
}

// pendingState is what a reconcile says is still pending on a set.
type pendingState struct {
	Pending  int64 `json:"total_pend_amt"`
	NonFinal int64 `json:"non_final_logs"`
}

func pendingOf(set string) pendingState {
	cmd := exec.Command(mxnBin, "rcn", "--set", set)
	cmd.Env = append(os.Environ(), "AEROSPIKE_HOSTS="+server.Addr())
	out, _ := cmd.Output() // exit 1 while unbalanced or pending; the JSON says why
	var p pendingState
	ExpectWithOffset(1, json.Unmarshal(out, &p)).To(Succeed(), string(out))
	return p
}

var _ = Describe("Cleanup", func() {
	ctx := context.Background()

	It("finishes really failed transactions (dryRun first changes nothing), and a Reconciliation afterwards is clean", func() {
		ns := newNamespace()
		set := "clfail"
		mxnRun("init", "--records", "30", "--set", set)
		By("a worker killed mid-run (SIGKILL) with failures injected: transfers left half-done")
		cmd := exec.Command(mxnBin, "rtxns", "--duration", "20s", "--records", "30", "--set", set, "--mode", "transfer",
			"--legs", "3", "--fpct", "100", "--concurrency", "8", "--progress", "0", "--lock-ttl", "100ms", "--lock-grace", "50ms")
		cmd.Env = append(os.Environ(), "AEROSPIKE_HOSTS="+server.Addr())
		Expect(cmd.Start()).To(Succeed())
		time.Sleep(1500 * time.Millisecond)
		Expect(cmd.Process.Kill()).To(Succeed())
		_ = cmd.Wait()
		time.Sleep(1500 * time.Millisecond) // past the locks' lifetime and cleanup's default min-age
		before := pendingOf(set)
		Expect(before.NonFinal).To(BeNumerically(">", 0), "failed transactions left pending logs")
		dump := server.Dump("test", set) + server.Dump("test", set+"log")

		By("dryRun: reports, writes nothing")
		dry := &mxnv1.Cleanup{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "dry"},
			Spec:       mxnv1.CleanupSpec{Aerospike: aeroliteSpec(set), DryRun: true, ShardSpec: mxnv1.ShardSpec{Shards: 2}},
		}
		Expect(k8s.Create(ctx, dry)).To(Succeed())
		Eventually(func() *mxnv1.CleanupRun { return getCL(ns, "dry").Status.LastRun }, time.Minute, 200*time.Millisecond).ShouldNot(BeNil())
		lr := getCL(ns, "dry").Status.LastRun
		Expect(lr.Phase).To(Equal(mxnv1.RunSucceeded), lr.Message)
		Expect(lr.DryRun).To(BeTrue())
		Expect(lr.RolledForward + lr.RolledBack + lr.Undecided).To(BeNumerically(">", 0))
		Expect(server.Dump("test", set)+server.Dump("test", set+"log")).To(Equal(dump), "a dry run wrote nothing")

		By("the real cleanup rolls them forward and back")
		real := &mxnv1.Cleanup{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "real"},
			Spec: mxnv1.CleanupSpec{Aerospike: aeroliteSpec(set), ShardSpec: mxnv1.ShardSpec{Shards: 2},
				MinAge: &metav1.Duration{Duration: 0},
				Lock:   &mxnv1.LockSpec{TTL: &metav1.Duration{Duration: 100 * time.Millisecond}, Grace: &metav1.Duration{Duration: 50 * time.Millisecond}}},
		}
		Expect(k8s.Create(ctx, real)).To(Succeed())
		Eventually(func() *mxnv1.CleanupRun { return getCL(ns, "real").Status.LastRun }, time.Minute, 200*time.Millisecond).ShouldNot(BeNil())
		lr = getCL(ns, "real").Status.LastRun
		Expect(lr.Phase).To(Equal(mxnv1.RunSucceeded), lr.Message)
		Expect(lr.RolledForward + lr.RolledBack).To(BeNumerically(">", 0))
		Expect(lr.Undecided).To(BeZero())
		Expect(lr.Errors).To(BeZero())
		Expect(jobsOfRole(ns, RoleShard)).To(HaveLen(4))
		for _, j := range jobsOfRole(ns, RoleShard) {
			if j.Labels[LabelRun] == lr.Name {
				Expect(strings.Join(j.Spec.Template.Spec.Containers[0].Args, " ")).To(ContainSubstring("--partitions"))
			}
		}

		By("a Reconciliation afterwards: every account balanced, nothing pending")
		rc := &mxnv1.Reconciliation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "after"},
			Spec:       mxnv1.ReconciliationSpec{Aerospike: aeroliteSpec(set), ShardSpec: mxnv1.ShardSpec{Shards: 2}},
		}
		Expect(k8s.Create(ctx, rc)).To(Succeed())
		Eventually(lastRunName(ns, "after"), time.Minute, 200*time.Millisecond).ShouldNot(BeEmpty())
		got := getRC(ns, "after").Status.LastRun
		Expect(got.Phase).To(Equal(mxnv1.RunSucceeded), got.Message)
		Expect(got.AccountsChecked).To(Equal(int64(30)))
		Expect(got.Drifted).To(BeZero())
		Expect(got.Conserved).To(BeTrue())
		Expect(got.PendingAmount).To(BeZero())
	})
})
