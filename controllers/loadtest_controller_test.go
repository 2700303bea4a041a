package controllers

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

func getLT(ns, name string) *mxnv1.LoadTest {
	var lt mxnv1.LoadTest
	ExpectWithOffset(1, k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &lt)).To(Succeed())
	return &lt
}

func phaseOf(ns, name string) func() mxnv1.LoadTestPhase {
	return func() mxnv1.LoadTestPhase {
		var lt mxnv1.LoadTest
		if err := k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &lt); err != nil {
			return ""
		}
		return lt.Status.Phase
	}
}

func newLoadTest(ns, name, set string) *mxnv1.LoadTest {
	return &mxnv1.LoadTest{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: mxnv1.LoadTestSpec{
			Aerospike:   aeroliteSpec(set),
			Workers:     2,
			Records:     100,
			Init:        true,
			Concurrency: 4,
			Mode:        "single",
			Lock:        &mxnv1.LockSpec{TTL: &metav1.Duration{Duration: 200 * time.Millisecond}, Grace: &metav1.Duration{Duration: 100 * time.Millisecond}},
		},
	}
}

var _ = Describe("LoadTest", func() {
	ctx := context.Background()

	It("starts its workers together, sums their reports exactly, verifies, and succeeds", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "transfers", "ltsum")
		lt.Spec.Workers = 3
		lt.Spec.Mode = "transfer"
		lt.Spec.Legs = ptrTo(int32(3))
		lt.Spec.FailurePercent = 50
		lt.Spec.TransactionsPerWorker = ptrTo(int64(80))
		Expect(k8s.Create(ctx, lt)).To(Succeed())

		Eventually(phaseOf(ns, "transfers"), 3*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		got := getLT(ns, "transfers")
		By("the workers' pods: spread over zones and nodes")
		workers := jobsOfRole(ns, RoleWorker)
		Expect(workers).To(HaveLen(3))
		for _, j := range workers {
			keys := []string{}
			for _, c := range j.Spec.Template.Spec.TopologySpreadConstraints {
				keys = append(keys, c.TopologyKey)
			}
			Expect(keys).To(ConsistOf(corev1.LabelTopologyZone, corev1.LabelHostname))
			Expect(*j.Spec.BackoffLimit).To(BeZero())
		}
		Expect(jobsOfRole(ns, RoleInit)).To(HaveLen(1))

		By("exact counters: the sum of what the workers reported")
		reps := podReports(ns, RoleWorker)
		Expect(reps).To(HaveLen(3))
		var attempted, committed, aborted, inDoubt, faults int64
		var minStart, maxEnd int64
		for _, r := range reps {
			Expect(r.Workload).NotTo(BeNil())
			attempted += r.Workload.Attempted
			committed += r.Workload.Committed
			aborted += r.Workload.Aborted
			inDoubt += r.Workload.InDoubt
			faults += r.Workload.FaultBefore + r.Workload.FaultAfter
			if minStart == 0 || r.StartUnixMs < minStart {
				minStart = r.StartUnixMs
			}
			maxEnd = max(maxEnd, r.EndUnixMs)
		}
		res := got.Status.Results
		Expect(res).NotTo(BeNil())
		Expect(res.Attempted).To(Equal(attempted))
		Expect(res.Attempted).To(Equal(int64(240)))
		Expect(res.Committed).To(Equal(committed))
		Expect(res.Aborted).To(Equal(aborted))
		Expect(res.InDoubt).To(Equal(inDoubt))
		Expect(res.FaultsBefore + res.FaultsAfter).To(Equal(faults))
		Expect(faults).To(BeNumerically(">", 0), "failurePercent 50 injects faults")
		Expect(res.Partial).To(BeFalse())
		Expect(res.Latency.P99.Duration).To(BeNumerically(">=", res.Latency.P50.Duration))

		By("the common start: every worker passed the barrier within a moment of the others")
		for _, r := range reps {
			Expect(r.StartUnixMs - minStart).To(BeNumerically("<", 1000))
		}

		By("verification: cleaned up, reconciled, balanced")
		Expect(got.Status.Verification).NotTo(BeNil())
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)
		Expect(got.Status.Verification.Reconcile.Drifted).To(BeZero())
		Expect(got.Status.Verification.Reconcile.AccountsChecked).To(Equal(int64(100)))
		Expect(got.Status.Verification.Reconcile.Conserved).To(BeTrue())
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, mxnv1.ConditionVerified)).To(BeTrue())
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, mxnv1.ConditionReady)).To(BeTrue())
		Expect(got.Status.ObservedGeneration).To(Equal(got.Generation))
		Expect(got.Status.StartTime).NotTo(BeNil())
		Expect(got.Status.CompletionTime).NotTo(BeNil())
	})

	It("runs again when runID changes, and deletes itself ttlSecondsAfterFinished after", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "again", "ltagain")
		lt.Spec.TransactionsPerWorker = ptrTo(int64(20))
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "again"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		first := getLT(ns, "again")
		Expect(first.Status.RunID).To(Equal(defaultRunID))

		first.Spec.RunID = "second"
		first.Spec.TTLSecondsAfterFinished = ptrTo(int32(2))
		Expect(k8s.Update(ctx, first)).To(Succeed())
		Eventually(func() string { return getLT(ns, "again").Status.RunID }, 30*time.Second).Should(Equal("second"))
		Eventually(phaseOf(ns, "again"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		for _, j := range jobsOfRole(ns, RoleWorker) {
			Expect(j.Labels[LabelRun]).To(Equal("second"), "the first run's Jobs are gone")
		}
		Expect(getLT(ns, "again").Status.Results.Attempted).To(Equal(int64(40)))

		By("ttlSecondsAfterFinished")
		Eventually(func() bool {
			err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "again"}, &mxnv1.LoadTest{})
			return apierrors.IsNotFound(err)
		}, 30*time.Second, 200*time.Millisecond).Should(BeTrue())
		Eventually(func() int { return len(jobsOfRole(ns, RoleWorker)) + len(jobsOfRole(ns, RoleVerify)) }, 10*time.Second).Should(BeZero())
	})

	It("counts a worker deleted mid-run as failed, keeps its partial progress, and still verifies clean", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "lost", "ltlost")
		lt.Spec.Workers = 3
		lt.Spec.Duration = &metav1.Duration{Duration: 6 * time.Second}
		lt.Spec.Mode = "transfer"
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "lost"), time.Minute, 100*time.Millisecond).Should(Equal(mxnv1.LoadTestRunning))
		// Let it flush some progress first.
		Eventually(func() int64 {
			p := getLT(ns, "lost").Status.Progress
			if p == nil {
				return 0
			}
			return p.Committed
		}, 20*time.Second, 200*time.Millisecond).Should(BeNumerically(">", 0))

		var pods corev1.PodList
		Expect(k8s.List(ctx, &pods, client.InNamespace(ns), client.MatchingLabels{LabelRole: RoleWorker, LabelIndex: "1"})).To(Succeed())
		Expect(pods.Items).To(HaveLen(1))
		Expect(k8s.Delete(ctx, &pods.Items[0])).To(Succeed())

		Eventually(phaseOf(ns, "lost"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		got := getLT(ns, "lost")
		Expect(got.Status.Workers.Failed).To(Equal(int32(1)))
		Expect(got.Status.Workers.Succeeded).To(Equal(int32(2)))
		Expect(got.Status.Results.Partial).To(BeTrue())
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, mxnv1.ConditionDegraded)).To(BeTrue())
	})

	It("counts a worker Job deleted mid-run as a lost worker: not started again, verification still clean", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "jobgone", "ltjobgone")
		lt.Spec.Duration = &metav1.Duration{Duration: 5 * time.Second}
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "jobgone"), time.Minute, 100*time.Millisecond).Should(Equal(mxnv1.LoadTestRunning))
		for _, j := range jobsOfRole(ns, RoleWorker) {
			if j.Labels[LabelIndex] == "1" {
				Expect(k8s.Delete(ctx, &j, client.PropagationPolicy(metav1.DeletePropagationBackground))).To(Succeed())
			}
		}
		Consistently(phaseOf(ns, "jobgone"), 2*time.Second, 100*time.Millisecond).Should(Equal(mxnv1.LoadTestRunning), "no way back to Starting")
		Eventually(phaseOf(ns, "jobgone"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		got := getLT(ns, "jobgone")
		Expect(jobsOfRole(ns, RoleWorker)).To(HaveLen(1), "the deleted worker is not started again")
		Expect(got.Status.Workers).To(Equal(mxnv1.WorkerCounts{Succeeded: 1, Failed: 1}))
		Expect(got.Status.Results.Partial).To(BeTrue())
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)
	})

	It("gives up on a worker whose pod never starts, lets the others go, and still verifies clean", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "stuck", "ltstuck")
		lt.Spec.Workers = 3
		lt.Spec.Duration = &metav1.Duration{Duration: 3 * time.Second}
		release := holds.hold(ns + "/" + jobName("stuck", defaultRunID, "w2"))
		defer release()
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "stuck"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		got := getLT(ns, "stuck")
		Expect(got.Status.Workers).To(Equal(mxnv1.WorkerCounts{Succeeded: 2, Failed: 1}))
		Expect(got.Status.Results.Partial).To(BeTrue())
		Expect(got.Status.Results.Committed).To(BeNumerically(">", 0), "the two others ran")
		Expect(got.Status.Verification.Passed).To(BeTrue(), got.Status.Verification.Verdict)
		Expect(jobsOfRole(ns, RoleWorker)).To(HaveLen(2), "the stuck worker's Job is gone: it cannot start alone later")
		Expect(eventsWithReason(ns, "WorkerLost")).NotTo(BeEmpty())
	})

	It("resumes after the operator restarts mid-run without duplicating Jobs", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "restart", "ltrestart")
		lt.Spec.Duration = &metav1.Duration{Duration: 4 * time.Second}
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "restart"), time.Minute, 100*time.Millisecond).Should(Equal(mxnv1.LoadTestRunning))
		stopManager()
		time.Sleep(time.Second)
		startManager()
		Eventually(phaseOf(ns, "restart"), 2*time.Minute, 200*time.Millisecond).Should(Equal(mxnv1.LoadTestSucceeded))
		Expect(jobsOfRole(ns, RoleWorker)).To(HaveLen(2))
		Expect(jobsOfRole(ns, RoleInit)).To(HaveLen(1))
		Expect(jobsOfRole(ns, RoleVerify)).To(HaveLen(2))
		Expect(getLT(ns, "restart").Status.Verification.Passed).To(BeTrue())
	})

	It("removes its Jobs when deleted", func() {
		ns := newNamespace()
		lt := newLoadTest(ns, "gone", "ltgone")
		lt.Spec.Duration = &metav1.Duration{Duration: 20 * time.Second}
		Expect(k8s.Create(ctx, lt)).To(Succeed())
		Eventually(phaseOf(ns, "gone"), time.Minute, 100*time.Millisecond).Should(Equal(mxnv1.LoadTestRunning))
		Expect(jobsOfRole(ns, RoleWorker)).To(HaveLen(2))

		By("a spec change while it runs is not applied to this run, and a condition says so")
		Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur := getLT(ns, "gone")
			cur.Spec.Rate = 5
			return k8s.Update(ctx, cur)
		})).To(Succeed())
		Eventually(func() bool {
			return meta.IsStatusConditionTrue(getLT(ns, "gone").Status.Conditions, mxnv1.ConditionSpecChangePending)
		}, 10*time.Second, 100*time.Millisecond).Should(BeTrue())
		for _, j := range jobsOfRole(ns, RoleWorker) {
			Expect(j.Spec.Template.Spec.Containers[0].Args).NotTo(ContainElement("--rate"))
		}

		Expect(k8s.Delete(ctx, getLT(ns, "gone"))).To(Succeed())
		Eventually(func() bool {
			return apierrors.IsNotFound(k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: "gone"}, &mxnv1.LoadTest{}))
		}, 30*time.Second, 100*time.Millisecond).Should(BeTrue())
		Eventually(func() int { return len(jobsOfRole(ns, RoleWorker)) + len(jobsOfRole(ns, RoleInit)) }, 10*time.Second).Should(BeZero())
	})
})
