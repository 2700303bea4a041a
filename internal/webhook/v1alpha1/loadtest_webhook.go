package v1alpha1

import (
	"context"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	mxnv1alpha1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

// SetupLoadTestWebhookWithManager registers the validating webhook of
// LoadTest with the manager's webhook server.
func SetupLoadTestWebhookWithManager(mgr ctrl.Manager) error {
	return ctrl.NewWebhookManagedBy(mgr, &mxnv1alpha1.LoadTest{}).
		WithValidator(&LoadTestCustomValidator{}).
		Complete()
}

// +kubebuilder:webhook:path=/validate-mxn-mxnlabs-io-v1alpha1-loadtest,mutating=false,failurePolicy=fail,sideEffects=None,groups=mxn.mxnlabs.io,resources=loadtests,verbs=create;update,versions=v1alpha1,name=vloadtest-v1alpha1.kb.io,admissionReviewVersions=v1

// LoadTestCustomValidator refuses what the CRD schema cannot: durations
// (metav1.Duration is a plain string in the schema) that are not positive.
// Everything else about a LoadTest is checked by the schema and its CEL
// rules.
type LoadTestCustomValidator struct{}

var _ admission.Validator[*mxnv1alpha1.LoadTest] = &LoadTestCustomValidator{}

// ValidateCreate checks a new LoadTest.
func (v *LoadTestCustomValidator) ValidateCreate(_ context.Context, obj *mxnv1alpha1.LoadTest) (admission.Warnings, error) {
	return nil, loadTestInvalid(obj, validateLoadTest(obj, nil))
}

// ValidateUpdate checks the fields of a LoadTest that changed.
func (v *LoadTestCustomValidator) ValidateUpdate(_ context.Context, oldObj, newObj *mxnv1alpha1.LoadTest) (admission.Warnings, error) {
	return nil, loadTestInvalid(newObj, validateLoadTest(newObj, oldObj))
}

// ValidateDelete allows every deletion.
func (v *LoadTestCustomValidator) ValidateDelete(context.Context, *mxnv1alpha1.LoadTest) (admission.Warnings, error) {
	return nil, nil
}

func validateLoadTest(obj, old *mxnv1alpha1.LoadTest) field.ErrorList {
	spec := field.NewPath("spec")
	var errs field.ErrorList
	if old == nil || !equalDuration(old.Spec.Duration, obj.Spec.Duration) {
		errs = append(errs, positiveDuration(spec.Child("duration"), obj.Spec.Duration)...)
	}
	var oldLock *mxnv1alpha1.LockSpec
	if old != nil {
		if oldLock = old.Spec.Lock; oldLock == nil {
			oldLock = &mxnv1alpha1.LockSpec{}
		}
	}
	errs = append(errs, validateLock(spec.Child("lock"), obj.Spec.Lock, oldLock)...)
	return errs
}

func loadTestInvalid(obj *mxnv1alpha1.LoadTest, errs field.ErrorList) error {
	if len(errs) == 0 {
		return nil
	}
	return apierrors.NewInvalid(mxnv1alpha1.GroupVersion.WithKind("LoadTest").GroupKind(), obj.Name, errs)
}
