package v1alpha1

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// SetupReconciliationWebhookWithManager registers the validating webhook of
// Reconciliation with the manager's webhook server.
func SetupReconciliationWebhookWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &mxnv1alpha1.Reconciliation{}).
		WithValidator(&ReconciliationCustomValidator{}).
		Complete()
}

// +kubebuilder:webhook:path=/validate-mxn-mxnlabs-io-v1alpha1-reconciliation,mutating=false,failurePolicy=fail,sideEffects=None,groups=mxn.mxnlabs.io,resources=reconciliations,verbs=create;update,versions=v1alpha1,name=vreconciliation-v1alpha1.kb.io,admissionReviewVersions=v1

// ReconciliationCustomValidator refuses a Reconciliation whose schedule
// or time zone the operator could not use.
type ReconciliationCustomValidator struct{}

var _ admission.Validator[*mxnv1alpha1.Reconciliation] = &ReconciliationCustomValidator{}

// ValidateCreate checks a new Reconciliation.
func (v *ReconciliationCustomValidator) ValidateCreate(_ context.Context, obj *mxnv1alpha1.Reconciliation) (admission.Warnings, error) {
	return nil, reconciliationInvalid(obj, validateReconciliation(obj, nil))
}

// ValidateUpdate checks the fields of a Reconciliation that changed.
func (v *ReconciliationCustomValidator) ValidateUpdate(_ context.Context, oldObj, newObj *mxnv1alpha1.Reconciliation) (admission.Warnings, error) {
	return nil, reconciliationInvalid(newObj, validateReconciliation(newObj, oldObj))
}

// ValidateDelete allows every deletion.
func (v *ReconciliationCustomValidator) ValidateDelete(context.Context, *mxnv1alpha1.Reconciliation) (admission.Warnings, error) {
	return nil, nil
}

func validateReconciliation(obj, old *mxnv1alpha1.Reconciliation) field.ErrorList {
	spec := field.NewPath("spec")
	var oldSched *mxnv1alpha1.ScheduleSpec
	if old != nil {
		oldSched = &old.Spec.ScheduleSpec
	}
	return validateSchedule(spec, &obj.Spec.ScheduleSpec, oldSched)
}

func reconciliationInvalid(obj *mxnv1alpha1.Reconciliation, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(mxnv1alpha1.GroupVersion.WithKind("Reconciliation").GroupKind(), obj.Name, errs)
}
