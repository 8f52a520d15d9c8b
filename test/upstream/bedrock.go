package upstream

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Amazon Bedrock Converse (POST /model/{modelId}/converse) and
// ConverseStream (/converse-stream), after the Bedrock Runtime API
// reference: SigV4-signed requests (service "bedrock") or a bearer API
// key, messages of content blocks (text, image, toolUse, toolResult),
// inferenceConfig, toolConfig, output.message with stopReason and usage,
// and the application/vnd.amazon.eventstream framing for streams
// (messageStart, contentBlockStart/Delta/Stop, messageStop, metadata, and
// exception frames). Errors name their type in x-amzn-ErrorType.
//
// Requests signed with MockAccessKeyID are verified with MockSecretKey:
// a bad signature is refused as AWS would refuse it.

const (
	MockAccessKeyID = "AKIDMOCKTOLLGATE"
	MockSecretKey   = "mock-secret-access-key"
)

func init() {
	register(func(s *Server, mux *http.ServeMux) {
		mux.HandleFunc("POST /model/{model}/converse", s.bedrockConverse(false))
		mux.HandleFunc("POST /model/{model}/converse-stream", s.bedrockConverse(true))
	})
}

type bedrockRequest struct {
	Messages []struct {
		Role    string `json:"role"`
		Content []struct {
			Text       *string         `json:"text"`
			ToolUse    json.RawMessage `json:"toolUse"`
			ToolResult json.RawMessage `json:"toolResult"`
		} `json:"content"`
	} `json:"messages"`
	ToolConfig *struct {
		Tools []struct {
			ToolSpec struct {
				Name string `json:"name"`
			} `json:"toolSpec"`
		} `json:"tools"`
	} `json:"toolConfig"`
}

// bedrockErrorType is the exception Bedrock names for a status.
func bedrockErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "ValidationException"
	case http.StatusForbidden, http.StatusUnauthorized:
		return "AccessDeniedException"
	case http.StatusNotFound:
		return "ResourceNotFoundException"
	case http.StatusTooManyRequests:
		return "ThrottlingException"
	case http.StatusServiceUnavailable:
		return "ServiceUnavailableException"
	case http.StatusRequestTimeout:
		return "ModelTimeoutException"
	}
	return "InternalServerException"
}

func bedrockError(w http.ResponseWriter, f *faults, status int, msg string) {
	w.Header().Set("x-amzn-ErrorType", bedrockErrorType(status)+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	writeError(w, f, status, map[string]string{"message": msg})
}

// bedrockAuth checks the bearer key or the SigV4 signature; "" is fine.
func bedrockAuth(r *http.Request, body []byte) string {
	auth := r.Header.Get("Authorization")
	if strings.HasPrefix(auth, "Bearer ") && len(auth) > len("Bearer ") {
		return ""
	}
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=") || r.Header.Get("X-Amz-Date") == "" {
		return "Missing Authentication Token"
	}
	cred := strings.TrimPrefix(auth, "AWS4-HMAC-SHA256 Credential=")
	keyID, scope, _ := strings.Cut(cred, "/")
	parts := strings.Split(scope, "/")
	if len(parts) < 4 || parts[2] != "bedrock" {
		return "Credential should be scoped to correct service: 'bedrock'."
	}
	if keyID != MockAccessKeyID {
		return "" // only the mock key can be verified
	}
	signed := ""
	if i := strings.Index(auth, "SignedHeaders="); i >= 0 {
		signed, _, _ = strings.Cut(auth[i+len("SignedHeaders="):], ",")
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return "invalid X-Amz-Date"
	}
	// Re-sign what the client signed, as received, and compare.
	u := *r.URL
	u.Scheme, u.Host = "http", r.Host
	re, _ := http.NewRequest(r.Method, u.String(), bytes.NewReader(body))
	re.Host = r.Host
	for _, h := range strings.Split(signed, ";") {
		if h != "host" {
			re.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	re.Header.Del("X-Amz-Date")
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: MockSecretKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	sum := sha256.Sum256(body)
	if err := v4.NewSigner().SignHTTP(r.Context(), creds, re, hex.EncodeToString(sum[:]), "bedrock", parts[1], when); err != nil {
		return "signing failed: " + err.Error()
	}
	if re.Header.Get("Authorization") != auth {
		return "The request signature we calculated does not match the signature you provided."
	}
	return ""
}

func (s *Server) bedrockConverse(stream bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f := readFaults(r.Header)
		var body bytes.Buffer
		_, _ = body.ReadFrom(r.Body)
		if msg := bedrockAuth(r, body.Bytes()); msg != "" {
			bedrockError(w, nil, http.StatusForbidden, msg)
			return
		}
		var req bedrockRequest
		if err := json.Unmarshal(body.Bytes(), &req); err != nil {
			bedrockError(w, nil, http.StatusBadRequest, "Malformed input request: "+err.Error())
			return
		}
		if msg := validateBedrock(&req); msg != "" {
			bedrockError(w, nil, http.StatusBadRequest, msg)
			return
		}
		if !vendorPrelude(w, r, &f, bedrockError) {
			return
		}
		text, call := bedrockReply(&req)
		chunks := words(text, f.chunks)
		usage := map[string]any{"inputTokens": len(req.Messages) * 10, "outputTokens": len(chunks), "totalTokens": len(req.Messages)*10 + len(chunks)}
		if !stream {
			block := map[string]any{"text": strings.Join(chunks, "")}
			stop := "end_turn"
			if call != "" {
				block = map[string]any{"toolUse": map[string]any{"toolUseId": "tooluse_mock1", "name": call, "input": map[string]any{"city": "Paris"}}}
				stop = "tool_use"
			}
			v := map[string]any{"output": map[string]any{"message": map[string]any{"role": "assistant", "content": []any{block}}},
				"stopReason": stop, "metrics": map[string]any{"latencyMs": 1}}
			if !f.noUsage {
				v["usage"] = usage
			}
			writeJSON(w, v)
			return
		}
		s.bedrockStream(w, r, &f, chunks, call, usage)
	}
}

func validateBedrock(req *bedrockRequest) string {
	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	}
	for i, m := range req.Messages {
		if i > 0 && m.Role == req.Messages[i-1].Role {
			return "A conversation must alternate between user and assistant roles."
		}
		for _, b := range m.Content {
			if (len(b.ToolUse) > 0 || len(b.ToolResult) > 0) && req.ToolConfig == nil {
				return "The toolConfig field must be defined when using toolUse and toolResult content blocks."
			}
		}
	}
	return ""
}

func bedrockReply(req *bedrockRequest) (text, call string) {
	last := req.Messages[len(req.Messages)-1]
	afterTool := false
	for _, b := range last.Content {
		if b.Text != nil {
			text += *b.Text
		}
		afterTool = afterTool || len(b.ToolResult) > 0
	}
	if req.ToolConfig != nil && len(req.ToolConfig.Tools) > 0 && !afterTool {
		call = req.ToolConfig.Tools[0].ToolSpec.Name
	}
	return text, call
}

func (s *Server) bedrockStream(w http.ResponseWriter, r *http.Request, f *faults, chunks []string, call string, usage map[string]any) {
	w.Header().Set("Content-Type", "application/vnd.amazon.eventstream")
	w.Header().Set("x-amzn-RequestId", "mock-request")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := eventstream.NewEncoder()
	frame := func(kind, name string, v any) {
		var m eventstream.Message
		m.Headers.Set(":message-type", eventstream.StringValue(kind))
		if kind == "exception" {
			m.Headers.Set(":exception-type", eventstream.StringValue(name))
		} else {
			m.Headers.Set(":event-type", eventstream.StringValue(name))
		}
		m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		m.Payload, _ = json.Marshal(v)
		_ = enc.Encode(w, m)
		_ = rc.Flush()
	}
	frame("event", "messageStart", map[string]any{"role": "assistant", "p": "abcdefgh"})
	pieces, stop := chunks, "end_turn"
	if call != "" {
		frame("event", "contentBlockStart", map[string]any{"contentBlockIndex": 0,
			"start": map[string]any{"toolUse": map[string]any{"toolUseId": "tooluse_mock1", "name": call}}})
		pieces, stop = splitN(`{"city": "Paris"}`, max(len(chunks), 1)), "tool_use"
	}
	ok := s.streamChunks(r, f, len(pieces), func(i int) {
		delta := map[string]any{"text": pieces[i]}
		if call != "" {
			delta = map[string]any{"toolUse": map[string]any{"input": pieces[i]}}
		}
		frame("event", "contentBlockDelta", map[string]any{"contentBlockIndex": 0, "delta": delta, "p": "abcd"})
	}, func() {
		frame("exception", "modelStreamErrorException", map[string]any{"message": "mock upstream error frame", "originalStatusCode": 500})
	})
	if !ok {
		return
	}
	frame("event", "contentBlockStop", map[string]any{"contentBlockIndex": 0})
	frame("event", "messageStop", map[string]any{"stopReason": stop})
	if !f.noUsage {
		frame("event", "metadata", map[string]any{"usage": usage, "metrics": map[string]any{"latencyMs": 1}})
	}
}
