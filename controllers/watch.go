package controllers

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// podToOwner wakes the owner of a pod's Job: the report a reconciler reads
// is on the pod, which may change after its Job did.
func podToOwner(mgr ctrl.Manager, ownerKind string) handler.EventHandler {
	c := mgr.GetClient()
	return handler.EnqueueRequestsFromMapFunc(func(ctx context.Context, obj client.Object) []reconcile.Request {
		if obj.GetLabels()[LabelManagedBy] != managedBy {
			return nil
		}
		name := obj.GetLabels()[batchv1.JobNameLabel]
		if name == "" {
			return nil
		}
		var job batchv1.Job
		if err := c.Get(ctx, types.NamespacedName{Namespace: obj.GetNamespace(), Name: name}, &job); err != nil {
			return nil
		}
		owner := metav1.GetControllerOf(&job)
		if owner == nil || owner.Kind != ownerKind {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: owner.Name}}}
	})
}
