package controllers

import (
	"context"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

func getRC(ns, name string) *mxnv1.Reconciliation {
	var rc mxnv1.Reconciliation
	ExpectWithOffset(1, k8s.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &rc)).To(Succeed())
	return &rc
}

// poke wakes a resource's reconciler after the test moved the clock.
func poke(obj client.Object) {
	ExpectWithOffset(1, retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := k8s.Get(context.Background(), client.ObjectKeyFromObject(obj), obj); err != nil {
			return err
		}
		ann := obj.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann["test.mxn.mxnlabs.io/poke"] = strconv.FormatInt(time.Now().UnixNano(), 10)
		obj.SetAnnotations(ann)
		return k8s.Update(context.Background(), obj)
	})).To(Succeed())
}

// lastRunName is the name of a Reconciliation's last finished run.
func lastRunName(ns, name string) func() string {
	return func() string {
		if lr := getRC(ns, name).Status.LastRun; lr != nil {
			return lr.Name
		}
		return ""
	}
}

// addBalance plants drift: a direct write of bal, as a buggy writer would.
func addBalance(set, ukey string, delta int64) {
	e, ok := server.Get("test", set, ukey)
	ExpectWithOffset(1, ok).To(BeTrue(), "account %s", ukey)
	bal, _ := e.Bins["bal"].(int64)
	if b, isInt := e.Bins["bal"].(int); isInt {
		bal = int64(b)
	}
	ExpectWithOffset(1, server.Put("test", set, ukey, map[string]any{"bal": bal + delta})).To(Succeed())
}

func eventsWithReason(ns, reason string) []eventsv1.Event {
	var list eventsv1.EventList
	ExpectWithOffset(1, k8s.List(context.Background(), &list, client.InNamespace(ns))).To(Succeed())
	var out []eventsv1.Event
	for _, e := range list.Items {
		if e.Reason == reason {
			out = append(out, e)
		}
	}
	return out
}

// minuteAfter is the start of the minute after t, plus a second.
func minuteAfter(t time.Time) time.Time {
	return t.Truncate(time.Minute).Add(time.Minute + time.Second)
}

var _ = Describe("Reconciliation", func() {
	ctx := context.Background()
	AfterEach(func() { testClock.Set(time.Now()) })

	It("reports exactly the planted drift, sets Drifted, emits events and gauges, and sees it clear", func() {
		ns := newNamespace()
		set := "rcndrift"
		mxnRun("init", "--records", "40", "--set", set)
		mxnRun("rtxns", "--count", "200", "--records", "40", "--set", set, "--mode", "transfer", "--concurrency", "4", "--progress", "0")
		addBalance(set, "usr3", 17)
		addBalance(set, "usr7", -5)

		rc := &mxnv1.Reconciliation{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nightly"},
			Spec: mxnv1.ReconciliationSpec{
				Aerospike:          aeroliteSpec(set),
				ScheduleSpec:       mxnv1.ScheduleSpec{Schedule: "* * * * *"},
				ShardSpec:          mxnv1.ShardSpec{Shards: 3},
				MaxDriftedReported: 20,
			},
		}
		Expect(k8s.Create(ctx, rc)).To(Succeed())
		Eventually(func() *metav1.Time { return getRC(ns, "nightly").Status.NextScheduleTime }, 10*time.Second).ShouldNot(BeNil())
		Expect(getRC(ns, "nightly").Status.Active).To(BeEmpty(), "nothing is due before the next minute")

		testClock.Set(minuteAfter(time.Now()))
		poke(rc)
		Eventually(lastRunName(ns, "nightly"), time.Minute, 200*time.Millisecond).ShouldNot(BeEmpty())
		got := getRC(ns, "nightly")
		lr := got.Status.LastRun
		Expect(lr.Phase).To(Equal(mxnv1.RunSucceeded), lr.Message)
		Expect(jobsOfRole(ns, RoleShard)).To(HaveLen(3))
		Expect(lr.AccountsChecked).To(Equal(int64(40)))
		Expect(lr.Drifted).To(Equal(int64(2)))
		Expect(lr.TotalDrift).To(Equal(int64(22)))
		Expect(lr.Conserved).To(BeFalse())
		Expect(lr.TotalBalance - lr.TotalLogged).To(Equal(int64(12)))
		Expect(lr.DriftedAccounts).To(ConsistOf(
			And(HaveField("UKey", "usr3"), HaveField("Drift", int64(17))),
			And(HaveField("UKey", "usr7"), HaveField("Drift", int64(-5))),
		))
		Expect(meta.IsStatusConditionTrue(got.Status.Conditions, mxnv1.ConditionDrifted)).To(BeTrue())
		Eventually(func() []eventsv1.Event { return eventsWithReason(ns, "DriftFound") }, 10*time.Second).ShouldNot(BeEmpty())
		Expect(eventsWithReason(ns, "DriftFound")[0].Type).To(Equal(corev1.EventTypeWarning))
		Expect(testutil.ToFloat64(reconciliationDrifted.WithLabelValues(ns, "nightly"))).To(Equal(2.0))
		Expect(testutil.ToFloat64(reconciliationDrift.WithLabelValues(ns, "nightly"))).To(Equal(22.0))

		By("the drift repaired, the next scheduled run finds every account balanced")
		addBalance(set, "usr3", -17)
		addBalance(set, "usr7", 5)
		first := lr.Name
		testClock.Set(minuteAfter(testClock.Now()))
		poke(rc)
		Eventually(lastRunName(ns, "nightly"), time.Minute, 200*time.Millisecond).ShouldNot(Equal(first))
		got = getRC(ns, "nightly")
		Expect(got.Status.LastRun.Drifted).To(BeZero())
		Expect(got.Status.LastRun.Conserved).To(BeTrue())
		Expect(meta.IsStatusConditionFalse(got.Status.Conditions, mxnv1.ConditionDrifted)).To(BeTrue())
		Eventually(func() []eventsv1.Event { return eventsWithReason(ns, "DriftCleared") }, 10*time.Second).ShouldNot(BeEmpty())
		Expect(eventsWithReason(ns, "DriftCleared")[0].Type).To(Equal(corev1.EventTypeNormal))
		Expect(testutil.ToFloat64(reconciliationDrifted.WithLabelValues(ns, "nightly"))).To(Equal(0.0))
		Expect(got.Status.History).To(HaveLen(2))
	})

	Describe("schedules, on the suite's clock", func() {
		var ns, set string
		BeforeEach(func() {
			ns = newNamespace()
			set = "rcnsched"
			mxnRun("init", "--records", "5", "--set", set)
		})
		newScheduled := func(name string, s mxnv1.ScheduleSpec) *mxnv1.Reconciliation {
			rc := &mxnv1.Reconciliation{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
				Spec:       mxnv1.ReconciliationSpec{Aerospike: aeroliteSpec(set), ScheduleSpec: s},
			}
			Expect(k8s.Create(ctx, rc)).To(Succeed())
			Eventually(func() int64 { return getRC(ns, name).Status.ObservedGeneration }, 10*time.Second).Should(BeNumerically(">", 0))
			return rc
		}
		runsOf := func(name string) func() map[string]bool {
			return func() map[string]bool {
				runs := map[string]bool{}
				for _, j := range jobsOfRole(ns, RoleShard) {
					runs[j.Labels[LabelRun]] = true
				}
				return runs
			}
		}
		activeOf := func(name string) func() []string { return func() []string { return getRC(ns, name).Status.Active } }

		It("keeps the history limits, deleting older runs' Jobs", func() {
			rc := newScheduled("hist", mxnv1.ScheduleSpec{Schedule: "* * * * *", SuccessfulRunsHistoryLimit: ptrTo(int32(2))})
			for i := 1; i <= 3; i++ {
				testClock.Set(minuteAfter(testClock.Now()))
				poke(rc)
				Eventually(func() int { return len(getRC(ns, "hist").Status.History) }, time.Minute, 200*time.Millisecond).Should(BeNumerically(">=", min(i, 2)))
				Eventually(activeOf("hist"), time.Minute, 200*time.Millisecond).Should(BeEmpty())
			}
			Eventually(func() int { return len(runsOf("hist")()) }, 20*time.Second).Should(Equal(2))
			Eventually(func() []mxnv1.RunRef { return getRC(ns, "hist").Status.History }, 10*time.Second).Should(HaveLen(2))
		})

		It("starts nothing while suspended", func() {
			rc := newScheduled("susp", mxnv1.ScheduleSpec{Schedule: "* * * * *", Suspend: ptrTo(true)})
			testClock.Set(minuteAfter(testClock.Now()))
			poke(rc)
			Eventually(func() string {
				c := meta.FindStatusCondition(getRC(ns, "susp").Status.Conditions, mxnv1.ConditionReady)
				if c == nil {
					return ""
				}
				return c.Reason
			}, 10*time.Second).Should(Equal("Suspended"))
			Consistently(runsOf("susp"), 2*time.Second).Should(BeEmpty())
		})

		It("skips a start missed by more than startingDeadlineSeconds", func() {
			rc := newScheduled("late", mxnv1.ScheduleSpec{Schedule: "* * * * *", StartingDeadlineSeconds: ptrTo(int64(10))})
			testClock.Set(minuteAfter(testClock.Now()).Add(30 * time.Second))
			poke(rc)
			Eventually(func() string {
				c := meta.FindStatusCondition(getRC(ns, "late").Status.Conditions, mxnv1.ConditionReady)
				if c == nil {
					return ""
				}
				return c.Reason
			}, 10*time.Second).Should(Equal("MissedStartingDeadline"))
			Consistently(runsOf("late"), 2*time.Second).Should(BeEmpty())
		})

		It("follows concurrencyPolicy Forbid, Replace and Allow", func() {
			release := holds.hold(ns)
			defer release()

			By("Forbid: no second run while the first is active")
			forbid := newScheduled("forbid", mxnv1.ScheduleSpec{Schedule: "* * * * *", ConcurrencyPolicy: mxnv1.ForbidConcurrent})
			testClock.Set(minuteAfter(testClock.Now()))
			poke(forbid)
			Eventually(activeOf("forbid"), 20*time.Second).Should(HaveLen(1))
			testClock.Set(minuteAfter(testClock.Now()))
			poke(forbid)
			Consistently(activeOf("forbid"), 2*time.Second).Should(HaveLen(1))

			By("Replace: the active run's Jobs go, a new run starts")
			testClock.Set(time.Now()) // nothing of the new resource is due at its creation
			replace := newScheduled("replace", mxnv1.ScheduleSpec{Schedule: "* * * * *", ConcurrencyPolicy: mxnv1.ReplaceConcurrent})
			testClock.Set(minuteAfter(testClock.Now()))
			poke(replace)
			Eventually(activeOf("replace"), 20*time.Second).Should(HaveLen(1))
			before := activeOf("replace")()[0]
			testClock.Set(minuteAfter(testClock.Now()))
			poke(replace)
			Eventually(activeOf("replace"), 20*time.Second).Should(And(HaveLen(1), Not(ContainElement(before))))

			By("Allow: runs overlap")
			testClock.Set(time.Now())
			allow := newScheduled("allow", mxnv1.ScheduleSpec{Schedule: "* * * * *", ConcurrencyPolicy: mxnv1.AllowConcurrent})
			testClock.Set(minuteAfter(testClock.Now()))
			poke(allow)
			Eventually(activeOf("allow"), 20*time.Second).Should(HaveLen(1))
			testClock.Set(minuteAfter(testClock.Now()))
			poke(allow)
			Eventually(activeOf("allow"), 20*time.Second).Should(HaveLen(2))

			release()
			Eventually(activeOf("allow"), time.Minute, 200*time.Millisecond).Should(BeEmpty())
			Eventually(activeOf("forbid"), time.Minute, 200*time.Millisecond).Should(BeEmpty())
		})

		It("completes a run whose shard Job went missing, so that every partition is checked", func() {
			release := holds.hold(ns)
			defer release()
			rc := &mxnv1.Reconciliation{
				ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "whole"},
				Spec:       mxnv1.ReconciliationSpec{Aerospike: aeroliteSpec(set), ShardSpec: mxnv1.ShardSpec{Shards: 3}},
			}
			Expect(k8s.Create(ctx, rc)).To(Succeed())
			Eventually(func() int { return len(jobsOfRole(ns, RoleShard)) }, 20*time.Second).Should(Equal(3))
			var lost types.UID
			for _, j := range jobsOfRole(ns, RoleShard) {
				if j.Labels[LabelIndex] == "1" {
					lost = j.UID
					Expect(k8s.Delete(ctx, &j, client.PropagationPolicy(metav1.DeletePropagationBackground))).To(Succeed())
				}
			}
			Eventually(func() bool {
				jobs := jobsOfRole(ns, RoleShard)
				for _, j := range jobs {
					if j.Labels[LabelIndex] == "1" && j.UID != lost {
						return len(jobs) == 3
					}
				}
				return false
			}, 20*time.Second, 100*time.Millisecond).Should(BeTrue(), "the missing shard is created again")
			release()
			Eventually(lastRunName(ns, "whole"), time.Minute, 200*time.Millisecond).ShouldNot(BeEmpty())
			lr := getRC(ns, "whole").Status.LastRun
			Expect(lr.Phase).To(Equal(mxnv1.RunSucceeded), lr.Message)
			Expect(lr.AccountsChecked).To(Equal(int64(5)), "every partition checked")
		})

		It("computes the next start in the schedule's time zone", func() {
			newScheduled("kolkata", mxnv1.ScheduleSpec{Schedule: "0 9 * * *", TimeZone: ptrTo("Asia/Kolkata")})
			next := getRC(ns, "kolkata").Status.NextScheduleTime.Time.UTC()
			Expect(next.Hour()).To(Equal(3))
			Expect(next.Minute()).To(Equal(30))
			Expect(next.Sub(testClock.Now())).To(And(BeNumerically(">", 0), BeNumerically("<=", 24*time.Hour)))
		})
	})
})
