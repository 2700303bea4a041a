package v1alpha1

// AerospikeSpec says how a resource reaches an Aerospike cluster, in the
// terms of the Aerospike Kubernetes Operator: seeds, or a reference to an
// AerospikeCluster's service; credentials and certificates come from Secrets
// and reach worker pods only as secretKeyRef environment and Secret volumes.
// +kubebuilder:validation:XValidation:rule="(has(self.seeds) && size(self.seeds) > 0) != has(self.clusterRef)",message="exactly one of seeds or clusterRef must be set"
type AerospikeSpec struct {
	// Seeds are hosts of the cluster to connect to.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Seeds []SeedHost `json:"seeds,omitempty"`

	// ClusterRef names an AerospikeCluster; it is reached at
	// <name>.<namespace>.svc, port 3000 (4333 with TLS).
	// +optional
	ClusterRef *ClusterRef `json:"clusterRef,omitempty"`

	// Namespace is the Aerospike namespace holding the accounts and logs.
	// +optional
	// +kubebuilder:default=test
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=31
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	Namespace string `json:"namespace,omitempty"`

	// Set is the account set; logs live in <set>log.
	// +optional
	// +kubebuilder:default=mxn
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=60
	// +kubebuilder:validation:Pattern=`^[A-Za-z0-9_-]+$`
	Set string `json:"set,omitempty"`

	// Auth gives a user whose password is the key `password` of a Secret.
	// +optional
	Auth *AuthSpec `json:"auth,omitempty"`

	// TLS connects with TLS, with certificates from a Secret.
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`
}

// SeedHost is one host of an Aerospike cluster.
type SeedHost struct {
	// Host is a DNS name or an IP address.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`

	// Port defaults to 3000 (4333 with TLS).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port,omitempty"`
}

// ClusterRef names an AerospikeCluster resource.
type ClusterRef struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// Namespace defaults to the referring resource's namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`
}

// AuthSpec names an Aerospike user and the Secret holding its password.
type AuthSpec struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	User string `json:"user"`

	// SecretName is a Secret in the resource's namespace whose key
	// `password` is the user's password.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`
}

// TLSSpec connects with TLS; the files are keys of a Secret mounted in the
// worker pods.
// +kubebuilder:validation:XValidation:rule="has(self.certFile) == has(self.keyFile)",message="certFile and keyFile go together"
type TLSSpec struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`

	// CAFile is the key of the CA certificate in the Secret.
	// +optional
	// +kubebuilder:default=ca.crt
	CAFile string `json:"caFile,omitempty"`

	// CertFile and KeyFile are the keys of a client certificate and its key
	// (mutual TLS); both or neither.
	// +optional
	CertFile string `json:"certFile,omitempty"`
	// +optional
	KeyFile string `json:"keyFile,omitempty"`

	// TLSName is the name the server's certificate must carry.
	// +kubebuilder:validation:MinLength=1
	TLSName string `json:"tlsName"`
}
