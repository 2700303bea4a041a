package v1alpha1

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// +kubebuilder:webhook:path=/validate-mxn-mxnlabs-io-v1alpha1-reconciliation,mutating=false,failurePolicy=fail,sideEffects=None,groups=mxn.mxnlabs.io,resources=reconciliations,verbs=create;update,versions=v1alpha1,name=vreconciliation-v1alpha1.kb.io,admissionReviewVersions=v1
// +kubebuilder:webhook:path=/validate-mxn-mxnlabs-io-v1alpha1-cleanup,mutating=false,failurePolicy=fail,sideEffects=None,groups=mxn.mxnlabs.io,resources=cleanups,verbs=create;update,versions=v1alpha1,name=vcleanup-v1alpha1.kb.io,admissionReviewVersions=v1

// ScheduleValidator refuses a scheduled resource (Reconciliation, Cleanup)
// whose schedule or time zone the operator could not use: what the CRD's
// CEL rules cannot check.
type ScheduleValidator[T client.Object] struct {
	kind     string
	schedule func(T) *mxnv1alpha1.ScheduleSpec
}

// ReconciliationCustomValidator validates Reconciliations.
var ReconciliationCustomValidator = &ScheduleValidator[*mxnv1alpha1.Reconciliation]{
	kind:     "Reconciliation",
	schedule: func(r *mxnv1alpha1.Reconciliation) *mxnv1alpha1.ScheduleSpec { return &r.Spec.ScheduleSpec },
}

// CleanupCustomValidator validates Cleanups.
var CleanupCustomValidator = &ScheduleValidator[*mxnv1alpha1.Cleanup]{
	kind:     "Cleanup",
	schedule: func(c *mxnv1alpha1.Cleanup) *mxnv1alpha1.ScheduleSpec { return &c.Spec.ScheduleSpec },
}

// SetupReconciliationWebhookWithManager registers the validating webhook of
// Reconciliation with the manager's webhook server.
func SetupReconciliationWebhookWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &mxnv1alpha1.Reconciliation{}).WithValidator(ReconciliationCustomValidator).Complete()
}

// SetupCleanupWebhookWithManager registers the validating webhook of
// Cleanup with the manager's webhook server.
func SetupCleanupWebhookWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &mxnv1alpha1.Cleanup{}).WithValidator(CleanupCustomValidator).Complete()
}

// ValidateCreate checks a new object.
func (v *ScheduleValidator[T]) ValidateCreate(_ context.Context, obj T) (admission.Warnings, error) {
	return nil, v.invalid(obj, validateSchedule(field.NewPath("spec"), v.schedule(obj), nil))
}

// ValidateUpdate checks the fields that changed, so that an object whose
// schedule became unusable can still lose its finalizer.
func (v *ScheduleValidator[T]) ValidateUpdate(_ context.Context, oldObj, newObj T) (admission.Warnings, error) {
	return nil, v.invalid(newObj, validateSchedule(field.NewPath("spec"), v.schedule(newObj), v.schedule(oldObj)))
}

// ValidateDelete allows every deletion.
func (v *ScheduleValidator[T]) ValidateDelete(context.Context, T) (admission.Warnings, error) {
	return nil, nil
}

func (v *ScheduleValidator[T]) invalid(obj T, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(mxnv1alpha1.GroupVersion.WithKind(v.kind).GroupKind(), obj.GetName(), errs)
}
