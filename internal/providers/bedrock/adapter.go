// Package bedrock is the adapter for Amazon Bedrock's Converse and
// ConverseStream APIs, signed with AWS Signature Version 4 (or sent with a
// Bedrock API key as a bearer token).
package bedrock

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
	"github.com/tollgate-dev/tollgate/internal/providers/internal/vendorkit"
)

// SigningService is the SigV4 service name of bedrock-runtime.
const SigningService = "bedrock"

func init() {
	providers.Register(providers.Vendor{Type: config.ProviderBedrock, New: New,
		Rules: config.ProviderRules{Settings: "bedrock", Check: check}})
}

var regionPattern = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]+$`)

// check requires a region and a credential: a Bedrock API key or AWS
// access keys. The endpoint is optional (derived from the region).
func check(p *config.Provider, bad func(field, format string, a ...any)) {
	b := p.Bedrock
	if b == nil || b.Region == "" {
		bad("bedrock.region", "bedrock.region is required for type Bedrock")
		return
	}
	if len(b.Region) > 32 || !regionPattern.MatchString(b.Region) {
		bad("bedrock.region", "%q is not an AWS region like us-east-1", b.Region)
	}
	if p.APIKey == "" && (b.AccessKeyID == "" || b.SecretAccessKey == "") {
		bad("", "type Bedrock needs apiKey (a Bedrock API key) or bedrock.accessKeyID and bedrock.secretAccessKey")
	}
}

// Adapter speaks Bedrock's Converse API.
type Adapter struct {
	endpoint string
	region   string
	creds    aws.Credentials
	apiKey   string
	headers  map[string]string
	signer   *v4.Signer
	now      func() time.Time
}

// New builds the adapter of one Bedrock provider. It needs a region and
// either an access key pair or an API key.
func New(p *config.Provider) (providers.Adapter, error) {
	s := p.Bedrock
	if s == nil || s.Region == "" {
		return nil, errors.New("bedrock: bedrock.region is required")
	}
	if (s.AccessKeyID == "" || s.SecretAccessKey == "") && p.APIKey == "" {
		return nil, errors.New("bedrock: credentials are required (bedrock.accessKeyID and secretAccessKey, or an API key)")
	}
	endpoint := vendorkit.Endpoint(p.Endpoint, "https://bedrock-runtime."+s.Region+".amazonaws.com")
	if _, err := url.Parse(endpoint); err != nil {
		return nil, fmt.Errorf("bedrock: endpoint: %w", err)
	}
	return &Adapter{
		endpoint: endpoint,
		region:   s.Region,
		creds:    aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Source: "tollgate"},
		apiKey:   p.APIKey,
		headers:  p.Headers,
		signer:   v4.NewSigner(),
		now:      time.Now,
	}, nil
}

// NewRequest builds and signs POST /model/{modelId}/converse(-stream).
func (a *Adapter) NewRequest(ctx context.Context, r *providers.Request) (*http.Request, error) {
	if r.Op != providers.OpChat {
		return nil, vendorkit.ChatOnly("bedrock")
	}
	conv, err := toConverse(r.Body)
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(conv)
	if err != nil {
		return nil, fmt.Errorf("bedrock: encoding request: %w", err)
	}
	op := "converse"
	if r.Stream {
		op = "converse-stream"
	}
	u, err := url.Parse(a.endpoint)
	if err != nil {
		return nil, fmt.Errorf("bedrock: endpoint: %w", err)
	}
	// Model ids and ARNs hold ':' and '/': escape them as one path segment,
	// as the AWS SDK does; the signer escapes the path again for SigV4.
	seg := strings.ReplaceAll(url.PathEscape(r.Model), ":", "%3A")
	u.RawPath = strings.TrimRight(u.EscapedPath(), "/") + "/model/" + seg + "/" + op
	if u.Path, err = url.PathUnescape(u.RawPath); err != nil {
		return nil, fmt.Errorf("bedrock: model id: %w", err)
	}
	req, err := vendorkit.NewPost(ctx, "bedrock", u.String(), body, r, a.headers, vendorkit.Accept(r.Stream, "application/vnd.amazon.eventstream"))
	if err != nil {
		return nil, err
	}
	if a.creds.AccessKeyID == "" {
		req.Header.Set("Authorization", "Bearer "+a.apiKey)
		return req, nil
	}
	sum := sha256.Sum256(body)
	if err := a.signer.SignHTTP(ctx, a.creds, req, hex.EncodeToString(sum[:]), SigningService, a.region, a.now()); err != nil {
		return nil, fmt.Errorf("bedrock: signing request: %w", err)
	}
	return req, nil
}

// Response turns a Converse answer into a chat.completion.
func (a *Adapter) Response(r *providers.Request, body []byte) ([]byte, providers.Usage, error) {
	return FromConverse(body, r.Model, a.now())
}

// Stream decodes the AWS event stream of ConverseStream.
func (a *Adapter) Stream(r *providers.Request, body io.Reader) providers.Stream {
	return NewStream(body, r.Model, a.now())
}

// Error maps a Bedrock error answer.
func (a *Adapter) Error(status int, h http.Header, body []byte) *providers.Error {
	return MapError(status, h, body, a.now())
}
