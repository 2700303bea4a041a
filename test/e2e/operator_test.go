//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
	"github.com/mxnlabs/mxn/pkg/report"
)

func loadTest(ns, name, set string) *mxnv1.LoadTest {
	return &mxnv1.LoadTest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: mxnv1.LoadTestSpec{
			Aerospike:      mxnv1.AerospikeSpec{Seeds: seeds(), Namespace: "test", Set: set},
			Workers:        3,
			Records:        300,
			Init:           true,
			Concurrency:    4,
			Mode:           "transfer",
			Legs:           ptrTo(int32(2)),
			FailurePercent: 30,
			Lock:           &mxnv1.LockSpec{TTL: &metav1.Duration{Duration: 200 * time.Millisecond}, Grace: &metav1.Duration{Duration: 100 * time.Millisecond}},
		},
	}
}

func phase(ns, name string) func() mxnv1.LoadTestPhase {
	return func() mxnv1.LoadTestPhase {
		var lt mxnv1.LoadTest
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &lt); err != nil {
			return ""
		}
		return lt.Status.Phase
	}
}

func get(ns, name string) *mxnv1.LoadTest {
	var lt mxnv1.LoadTest
	ExpectWithOffset(1, k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &lt)).To(Succeed())
	return &lt
}

func workerPods(ns string) []corev1.Pod {
	var pods corev1.PodList
	ExpectWithOffset(1, k8s.List(context.Background(), &pods, client.InNamespace(ns), client.MatchingLabels{"mxn.mxnlabs.io/role": "worker"})).To(Succeed())
	return pods.Items
}

var _ = Describe("LoadTest on three nodes", func() {
	ctx := context.Background()

	It("puts one worker in each zone, sums their reports exactly, and verifies clean", func() {
		ns := newNamespace()
		lt := loadTest(ns, "zones", "e2ezones")
		lt.Spec.TransactionsPerWorker = ptrTo(int64(150))
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phase(ns, "zones"), 5*time.Minute, time.Second).Should(Equal(mxnv1.LoadTestSucceeded))

		zones := map[string]bool{}
		var nodes corev1.NodeList
		Expect(k8s.List(ctx, &nodes)).To(Succeed())
		zoneOf := map[string]string{}
		for _, n := range nodes.Items {
			zoneOf[n.Name] = n.Labels[corev1.LabelTopologyZone]
		}
		var attempted, committed int64
		for _, p := range workerPods(ns) {
			zones[zoneOf[p.Spec.NodeName]] = true
			for _, cs := range p.Status.ContainerStatuses {
				Expect(cs.State.Terminated).NotTo(BeNil())
				r, err := report.Decode([]byte(cs.State.Terminated.Message))
				Expect(err).NotTo(HaveOccurred())
				attempted += r.Workload.Attempted
				committed += r.Workload.Committed
			}
		}
		Expect(zones).To(HaveLen(3), "one worker per zone")
		got := get(ns, "zones")
		Expect(got.Status.Results.Attempted).To(Equal(attempted))
		Expect(got.Status.Results.Attempted).To(Equal(int64(450)))
		Expect(got.Status.Results.Committed).To(Equal(committed))
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)

		By("kubectl get prints the printer columns")
		out := kubectl("get", "lt,rcn,cln", "-n", ns)
		for _, col := range []string{"PHASE", "WORKERS", "COMMITTED", "COMMITTED/S", "DRIFT", "VERDICT", "Succeeded"} {
			Expect(out).To(ContainSubstring(col))
		}
	})

	It("counts a worker pod deleted mid-run as failed and still verifies clean; deleting the LoadTest removes its Jobs and Pods", func() {
		ns := newNamespace()
		lt := loadTest(ns, "lost", "e2elost")
		lt.Spec.Duration = &metav1.Duration{Duration: 15 * time.Second}
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(func() int64 {
			if p := get(ns, "lost").Status.Progress; p != nil {
				return p.Committed
			}
			return 0
		}, 3*time.Minute, time.Second).Should(BeNumerically(">", 0))
		pods := workerPods(ns)
		Expect(pods).NotTo(BeEmpty())
		Expect(k8s.Delete(ctx, &pods[0], client.GracePeriodSeconds(0))).To(Succeed())
		Eventually(phase(ns, "lost"), 5*time.Minute, time.Second).Should(Equal(mxnv1.LoadTestSucceeded))
		got := get(ns, "lost")
		Expect(got.Status.Workers.Failed).To(Equal(int32(1)))
		Expect(got.Status.Results.Partial).To(BeTrue())
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)

		Expect(k8s.Delete(ctx, got)).To(Succeed())
		Eventually(func() int {
			var jobs batchv1.JobList
			Expect(k8s.List(ctx, &jobs, client.InNamespace(ns))).To(Succeed())
			var pods corev1.PodList
			Expect(k8s.List(ctx, &pods, client.InNamespace(ns))).To(Succeed())
			return len(jobs.Items) + len(pods.Items)
		}, 2*time.Minute, time.Second).Should(BeZero())
	})

	It("carries on without duplicate Jobs when the operator pod is deleted mid-run", func() {
		ns := newNamespace()
		lt := loadTest(ns, "restart", "e2erestart")
		lt.Spec.Duration = &metav1.Duration{Duration: 15 * time.Second}
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phase(ns, "restart"), 3*time.Minute, time.Second).Should(Equal(mxnv1.LoadTestRunning))
		var pods corev1.PodList
		Expect(k8s.List(ctx, &pods, client.InNamespace(*operatorNS), client.MatchingLabels{"control-plane": "controller-manager"})).To(Succeed())
		Expect(pods.Items).To(HaveLen(1))
		Expect(k8s.Delete(ctx, &pods.Items[0])).To(Succeed())
		Eventually(phase(ns, "restart"), 5*time.Minute, time.Second).Should(Equal(mxnv1.LoadTestSucceeded))
		var jobs batchv1.JobList
		Expect(k8s.List(ctx, &jobs, client.InNamespace(ns), client.MatchingLabels{"mxn.mxnlabs.io/role": "worker"})).To(Succeed())
		Expect(jobs.Items).To(HaveLen(3))
		Expect(get(ns, "restart").Status.Verification.Passed).To(BeTrue())
	})
})

var _ = Describe("Reconciliation and Cleanup on three nodes", func() {
	ctx := context.Background()

	It("finds planted drift exactly (event, Drifted, metric); Cleanup finishes crashed transactions; the next run is clean", func() {
		ns := newNamespace()
		set := "e2edrift"
		mxn("init", "--records", "50", "--set", set)
		mxn("rtxns", "--count", "300", "--records", "50", "--set", set, "--mode", "transfer", "--progress", "0")
		// Plant drift: a direct write of one balance, as a buggy writer would.
		var acct struct {
			Bins map[string]any `json:"bins"`
		}
		Expect(json.Unmarshal([]byte(mxn("get", "--set", set, "-u", "usr5")), &acct)).To(Succeed())
		bal := int64(acct.Bins["bal"].(float64))
		mxn("put", "--set", set, "-u", "usr5", "--rec", `{"bal":`+itoa(bal+31)+`}`)

		rc := &mxnv1.Reconciliation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "drift"},
			Spec: mxnv1.ReconciliationSpec{Aerospike: mxnv1.AerospikeSpec{Seeds: seeds(), Namespace: "test", Set: set},
				ShardSpec: mxnv1.ShardSpec{Shards: 3}, MaxDriftedReported: 20},
		}
		Expect(k8s.Create(ctx, rc)).To(Succeed())
		Eventually(func() *mxnv1.ReconcileRun {
			Expect(k8s.Get(ctx, client.ObjectKeyFromObject(rc), rc)).To(Succeed())
			return rc.Status.LastRun
		}, 3*time.Minute, time.Second).ShouldNot(BeNil())
		lr := rc.Status.LastRun
		Expect(lr.Drifted).To(Equal(int64(1)))
		Expect(lr.TotalDrift).To(Equal(int64(31)))
		Expect(lr.DriftedAccounts).To(ConsistOf(And(HaveField("UKey", "usr5"), HaveField("Drift", int64(31)))))
		Expect(meta.IsStatusConditionTrue(rc.Status.Conditions, mxnv1.ConditionDrifted)).To(BeTrue())
		Expect(kubectl("get", "events.events.k8s.io", "-n", ns)).To(ContainSubstring("DriftFound"))
		Expect(scrapeMetrics()).To(ContainSubstring(`mxn_reconciliation_total_drift{name="drift",namespace="` + ns + `"} 31`))

		By("repair, crash transfers mid-way, clean up, reconcile again")
		mxn("put", "--set", set, "-u", "usr5", "--rec", `{"bal":`+itoa(bal)+`}`)
		crashTransfers(set, 50)
		cl := &mxnv1.Cleanup{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "finish"},
			Spec: mxnv1.CleanupSpec{Aerospike: mxnv1.AerospikeSpec{Seeds: seeds(), Namespace: "test", Set: set},
				MinAge: &metav1.Duration{}, ShardSpec: mxnv1.ShardSpec{Shards: 2}},
		}
		Expect(k8s.Create(ctx, cl)).To(Succeed())
		Eventually(func() *mxnv1.CleanupRun {
			Expect(k8s.Get(ctx, client.ObjectKeyFromObject(cl), cl)).To(Succeed())
			return cl.Status.LastRun
		}, 3*time.Minute, time.Second).ShouldNot(BeNil())
		Expect(cl.Status.LastRun.Phase).To(Equal(mxnv1.RunSucceeded), cl.Status.LastRun.Message)
		Expect(cl.Status.LastRun.RolledForward + cl.Status.LastRun.RolledBack).To(BeNumerically(">", 0))

		again := &mxnv1.Reconciliation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "again"},
			Spec:       mxnv1.ReconciliationSpec{Aerospike: mxnv1.AerospikeSpec{Seeds: seeds(), Namespace: "test", Set: set}},
		}
		Expect(k8s.Create(ctx, again)).To(Succeed())
		Eventually(func() *mxnv1.ReconcileRun {
			Expect(k8s.Get(ctx, client.ObjectKeyFromObject(again), again)).To(Succeed())
			return again.Status.LastRun
		}, 3*time.Minute, time.Second).ShouldNot(BeNil())
		Expect(again.Status.LastRun.Drifted).To(BeZero())
		Expect(again.Status.LastRun.Conserved).To(BeTrue())
		Expect(again.Status.LastRun.PendingAmount).To(BeZero())
	})

	It("runs a */1 schedule at least twice and honours concurrencyPolicy Forbid", func() {
		ns := newNamespace()
		set := "e2esched"
		mxn("init", "--records", "20", "--set", set)
		rc := &mxnv1.Reconciliation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "minutely"},
			Spec: mxnv1.ReconciliationSpec{Aerospike: mxnv1.AerospikeSpec{Seeds: seeds(), Namespace: "test", Set: set},
				ScheduleSpec: mxnv1.ScheduleSpec{Schedule: "*/1 * * * *", ConcurrencyPolicy: mxnv1.ForbidConcurrent}},
		}
		Expect(k8s.Create(ctx, rc)).To(Succeed())
		maxActive := 0
		Eventually(func() int {
			Expect(k8s.Get(ctx, client.ObjectKeyFromObject(rc), rc)).To(Succeed())
			maxActive = max(maxActive, len(rc.Status.Active))
			return len(rc.Status.History)
		}, 4*time.Minute, time.Second).Should(BeNumerically(">=", 2))
		Expect(maxActive).To(BeNumerically("<=", 1), "Forbid: never two runs at once")
	})
})

var _ = Describe("Secrets", func() {
	It("never shows an Aerospike password in objects, events or pod logs", func() {
		ctx := context.Background()
		const password = "e2e-pw-5d1c-never-shown"
		ns := newNamespace()
		Expect(k8s.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "auth"}, StringData: map[string]string{"password": password}})).To(Succeed())
		lt := loadTest(ns, "secret", "e2esecret")
		lt.Spec.Aerospike.Auth = &mxnv1.AuthSpec{User: "loader", SecretName: "auth"}
		lt.Spec.TransactionsPerWorker = ptrTo(int64(20))
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phase(ns, "secret"), 5*time.Minute, time.Second).Should(Equal(mxnv1.LoadTestSucceeded))
		var all strings.Builder
		for _, kind := range []string{"lt", "jobs", "pods", "events", "events.events.k8s.io"} {
			all.WriteString(kubectl("get", kind, "-n", ns, "-o", "yaml"))
		}
		for _, p := range workerPods(ns) {
			all.WriteString(kubectl("logs", "-n", ns, p.Name))
		}
		var ops corev1.PodList
		Expect(k8s.List(ctx, &ops, client.InNamespace(*operatorNS))).To(Succeed())
		for _, p := range ops.Items {
			all.WriteString(kubectl("logs", "-n", *operatorNS, p.Name, "--all-containers"))
		}
		Expect(all.String()).To(ContainSubstring("secretKeyRef"))
		Expect(all.String()).NotTo(ContainSubstring(password))
	})
})

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
