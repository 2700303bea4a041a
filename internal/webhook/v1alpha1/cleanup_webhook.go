package v1alpha1

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// SetupCleanupWebhookWithManager registers the validating webhook of
// Cleanup with the manager's webhook server.
func SetupCleanupWebhookWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &mxnv1alpha1.Cleanup{}).
		WithValidator(&CleanupCustomValidator{}).
		Complete()
}

// +kubebuilder:webhook:path=/validate-mxn-mxnlabs-io-v1alpha1-cleanup,mutating=false,failurePolicy=fail,sideEffects=None,groups=mxn.mxnlabs.io,resources=cleanups,verbs=create;update,versions=v1alpha1,name=vcleanup-v1alpha1.kb.io,admissionReviewVersions=v1

// CleanupCustomValidator refuses a Cleanup whose schedule
// or time zone the operator could not use.
type CleanupCustomValidator struct{}

var _ admission.Validator[*mxnv1alpha1.Cleanup] = &CleanupCustomValidator{}

// ValidateCreate checks a new Cleanup.
func (v *CleanupCustomValidator) ValidateCreate(_ context.Context, obj *mxnv1alpha1.Cleanup) (admission.Warnings, error) {
	return nil, cleanupInvalid(obj, validateCleanup(obj, nil))
}

// ValidateUpdate checks the fields of a Cleanup that changed.
func (v *CleanupCustomValidator) ValidateUpdate(_ context.Context, oldObj, newObj *mxnv1alpha1.Cleanup) (admission.Warnings, error) {
	return nil, cleanupInvalid(newObj, validateCleanup(newObj, oldObj))
}

// ValidateDelete allows every deletion.
func (v *CleanupCustomValidator) ValidateDelete(context.Context, *mxnv1alpha1.Cleanup) (admission.Warnings, error) {
	return nil, nil
}

func validateCleanup(obj, old *mxnv1alpha1.Cleanup) field.ErrorList {
	spec := field.NewPath("spec")
	var oldSched *mxnv1alpha1.ScheduleSpec
	if old != nil {
		oldSched = &old.Spec.ScheduleSpec
	}
	return validateSchedule(spec, &obj.Spec.ScheduleSpec, oldSched)
}

func cleanupInvalid(obj *mxnv1alpha1.Cleanup, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(mxnv1alpha1.GroupVersion.WithKind("Cleanup").GroupKind(), obj.Name, errs)
}
