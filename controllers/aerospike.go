package controllers

import (
	"fmt"
	"net"
	"path"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	mxnv1 "github.com/mxnlabs/mxn/api/v1alpha1"
)

const (
	defaultPort    = 3000
	defaultTLSPort = 4333
	// tlsMountPath is where a TLS Secret is mounted in worker pods.
	tlsMountPath = "/etc/mxn/tls"
	tlsVolume    = "aerospike-tls"
	// passwordKey is the key of the password in an auth Secret.
	passwordKey = "password"
)

// hostsOf lists a spec's hosts as host:port for AEROSPIKE_HOSTS; a
// clusterRef is the AerospikeCluster's service in its namespace (default:
// the resource's own).
func hostsOf(spec *mxnv1.AerospikeSpec, resourceNamespace string) []string {
	port := int32(defaultPort)
	if spec.TLS != nil {
		port = defaultTLSPort
	}
	if spec.ClusterRef != nil {
		ns := spec.ClusterRef.Namespace
		if ns == "" {
			ns = resourceNamespace
		}
		return []string{net.JoinHostPort(spec.ClusterRef.Name+"."+ns+".svc", strconv.Itoa(int(port)))}
	}
	hosts := make([]string, 0, len(spec.Seeds))
	for _, s := range spec.Seeds {
		p := s.Port
		if p == 0 {
			p = port
		}
		hosts = append(hosts, net.JoinHostPort(s.Host, strconv.Itoa(int(p))))
	}
	return hosts
}

// namespaceOf and setOf apply the API's defaults to objects that skipped
// admission defaulting (built in Go, say).
func namespaceOf(spec *mxnv1.AerospikeSpec) string {
	if spec.Namespace == "" {
		return "test"
	}
	return spec.Namespace
}

func setOf(spec *mxnv1.AerospikeSpec) string {
	if spec.Set == "" {
		return "mxn"
	}
	return spec.Set
}

// connection is how a worker container reaches Aerospike: arguments,
// environment and volumes. Secrets travel only as secretKeyRef and Secret
// volumes, never as values.
type connection struct {
	Args    []string
	Env     []corev1.EnvVar
	Volumes []corev1.Volume
	Mounts  []corev1.VolumeMount
}

func connectionFor(spec *mxnv1.AerospikeSpec, resourceNamespace string) connection {
	c := connection{
		Args: []string{"--namespace", namespaceOf(spec), "--set", setOf(spec)},
		Env:  []corev1.EnvVar{{Name: "AEROSPIKE_HOSTS", Value: strings.Join(hostsOf(spec, resourceNamespace), ",")}},
	}
	if a := spec.Auth; a != nil {
		c.Env = append(c.Env,
			corev1.EnvVar{Name: "AEROSPIKE_USER", Value: a.User},
			corev1.EnvVar{Name: "AEROSPIKE_PASSWORD", ValueFrom: &corev1.EnvVarSource{
				SecretKeyRef: &corev1.SecretKeySelector{
					LocalObjectReference: corev1.LocalObjectReference{Name: a.SecretName},
					Key:                  passwordKey,
				},
			}})
	}
	if t := spec.TLS; t != nil {
		ca := t.CAFile
		if ca == "" {
			ca = "ca.crt"
		}
		c.Args = append(c.Args, "--tls-name", t.TLSName, "--tls-ca-file", path.Join(tlsMountPath, ca))
		if t.CertFile != "" {
			c.Args = append(c.Args, "--tls-cert-file", path.Join(tlsMountPath, t.CertFile), "--tls-key-file", path.Join(tlsMountPath, t.KeyFile))
		}
		c.Volumes = append(c.Volumes, corev1.Volume{Name: tlsVolume, VolumeSource: corev1.VolumeSource{
			Secret: &corev1.SecretVolumeSource{SecretName: t.SecretName, DefaultMode: ptrTo(int32(0o440))},
		}})
		c.Mounts = append(c.Mounts, corev1.VolumeMount{Name: tlsVolume, MountPath: tlsMountPath, ReadOnly: true})
	}
	return c
}

// lockArgs turns a LockSpec into mxn's lock flags.
func lockArgs(l *mxnv1.LockSpec) []string {
	if l == nil {
		return nil
	}
	var args []string
	if l.TTL != nil {
		args = append(args, "--lock-ttl", l.TTL.Duration.String())
	}
	if l.Grace != nil {
		args = append(args, "--lock-grace", l.Grace.Duration.String())
	}
	if l.Attempts != nil {
		args = append(args, "--lock-attempts", strconv.Itoa(int(*l.Attempts)))
	}
	return args
}

func ptrTo[T any](v T) *T { return &v }

// describeHosts is for messages: the hosts, never credentials.
func describeHosts(spec *mxnv1.AerospikeSpec, ns string) string {
	return fmt.Sprintf("%s (namespace %s)", strings.Join(hostsOf(spec, ns), ","), namespaceOf(spec))
}
