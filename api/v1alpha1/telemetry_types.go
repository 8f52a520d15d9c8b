package v1alpha1

// Telemetry configures what the gateway sends to an OpenTelemetry
// collector.
type Telemetry struct {
	// Tracing exports one span per request (and one per upstream attempt)
	// over OTLP, named by the OpenTelemetry GenAI semantic conventions.
	// Unset: no tracing, at no cost to requests.
	//
	// +optional
	Tracing *Tracing `json:"tracing,omitempty"`
}

// OTLPProtocol is the OTLP transport.
//
// +kubebuilder:validation:Enum=grpc;http
type OTLPProtocol string

// OTLP transports.
const (
	// OTLPGRPC is OTLP over gRPC (a collector's port 4317).
	OTLPGRPC OTLPProtocol = "grpc"
	// OTLPHTTP is OTLP protobuf over HTTP (port 4318, path /v1/traces).
	OTLPHTTP OTLPProtocol = "http"
)

// Tracing is an OTLP trace exporter and its sampling.
//
// +kubebuilder:validation:XValidation:rule="(has(self.protocol) && self.protocol == 'http') || !self.endpoint.matches('^https?://[^/]+/.+$')",message="a grpc endpoint is scheme://host:port, with no path",fieldPath=".endpoint"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || self.endpoint.startsWith('https://')",message="tls needs an https:// endpoint",fieldPath=".tls"
type Tracing struct {
	// Endpoint is the collector's URL: http://host:port for plaintext,
	// https://host:port for TLS. For protocol http a URL without a path
	// gets /v1/traces.
	//
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:Pattern=`^https?://[^/?#@\s]+(/[^?#\s]*)?$`
	Endpoint string `json:"endpoint"`

	// Protocol is the OTLP transport.
	//
	// +optional
	// +kubebuilder:default=grpc
	Protocol OTLPProtocol `json:"protocol,omitempty"`

	// HeadersSecretRef names a Secret of this namespace whose every entry
	// is sent as a header with each export (the key is the header name):
	// the API key of a hosted tracing backend. Its values never appear in
	// logs, status or traces.
	//
	// +optional
	HeadersSecretRef *LocalSecretReference `json:"headersSecretRef,omitempty"`

	// TLS verifies the collector's certificate against a CA of a Secret
	// instead of the system roots.
	//
	// +optional
	TLS *TelemetryTLS `json:"tls,omitempty"`

	// SamplingRatio is the share of new traces recorded, "0" to "1"; a
	// request whose traceparent says sampled (or not) follows its parent.
	//
	// +optional
	// +kubebuilder:default="1"
	// +kubebuilder:validation:MaxLength=8
	// +kubebuilder:validation:Pattern=`^(0(\.[0-9]{1,6})?|1(\.0{1,6})?)$`
	SamplingRatio *string `json:"samplingRatio,omitempty"`

	// ResourceAttributes are added to the resource of every span
	// (service.name is tollgate-gateway unless set here).
	//
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 256 && !k.contains(' '))",message="attribute names are at most 256 characters, without spaces"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].size() <= 1024)",message="attribute values are at most 1024 characters"
	ResourceAttributes map[string]string `json:"resourceAttributes,omitempty"`

	// CaptureContent records prompts and completions on the request span.
	// Off by default: prompts are often personal data.
	//
	// +optional
	CaptureContent *ContentCapture `json:"captureContent,omitempty"`
}

// LocalSecretReference names a Secret of the same namespace.
type LocalSecretReference struct {
	// Name is the name of the Secret.
	//
	// +required
	Name ObjectName `json:"name"`
}

// TelemetryTLS is how the collector's certificate is verified.
type TelemetryTLS struct {
	// CASecretRef selects a Secret entry holding PEM CA certificates.
	//
	// +required
	CASecretRef CASecretReference `json:"caSecretRef"`
}

// CASecretReference selects a Secret entry holding a PEM bundle.
type CASecretReference struct {
	// Name is the name of the Secret.
	//
	// +required
	Name ObjectName `json:"name"`

	// Key is the entry of the Secret's data holding the bundle.
	//
	// +optional
	// +kubebuilder:default="ca.crt"
	Key SecretKey `json:"key,omitempty"`
}

// ContentCapture records prompt and completion text on spans.
type ContentCapture struct {
	// Enabled records the request's messages and the answer's text.
	//
	// +required
	Enabled bool `json:"enabled"`

	// MaxBytes cuts each recorded text at this many bytes.
	//
	// +optional
	// +kubebuilder:default=4096
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65536
	MaxBytes *int32 `json:"maxBytes,omitempty"`
}
