package proxy

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"

	"github.com/tollgate-dev/tollgate/internal/config"
	"github.com/tollgate-dev/tollgate/internal/providers"
)

// checkCapabilities refuses a request that needs a capability its model's
// catalogue entry does not declare: the operation (chat, embeddings),
// streaming, tools, images (vision) and structured output (JSON mode). A
// model that declares no capabilities is not judged. The canonical body
// is decoded for it only when the model lacks one of the last three.
func (sn *snapshot) checkCapabilities(model string, p *parsed) *apiError {
	e, ok := sn.byName[model]
	if !ok || len(e.Capabilities) == 0 {
		return nil
	}
	has := func(c config.Capability) bool { return slices.Contains(e.Capabilities, strings.ToLower(string(c))) }
	lacks := func(c config.Capability, param, what string) *apiError {
		return &apiError{Status: 400, Type: "invalid_request_error", Code: "model_capability_missing", Param: param,
			Message: "The model '" + truncate(model, 128) + "' does not support " + what + " (capability " + string(c) +
				"; it has " + strings.Join(e.Capabilities, ", ") + ")."}
	}
	if p.op == providers.OpEmbeddings {
		if !has(config.CapEmbeddings) {
			return lacks(config.CapEmbeddings, "model", "embeddings")
		}
		return nil
	}
	switch {
	case !has(config.CapChat):
		return lacks(config.CapChat, "model", "chat")
	case p.fields.Stream && !has(config.CapStreaming):
		return lacks(config.CapStreaming, "stream", "streaming")
	case p.body == nil || (has(config.CapTools) && has(config.CapVision) && has(config.CapJSONMode)):
		return nil
	}
	var body struct {
		Tools          []json.RawMessage `json:"tools"`
		Functions      []json.RawMessage `json:"functions"`
		ResponseFormat *struct {
			Type string `json:"type"`
		} `json:"response_format"`
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(p.body, &body); err != nil {
		// Valid JSON (parse judged it) whose members have the wrong types.
		return badRequest("The request's tools, functions, response_format or messages have the wrong type: "+truncate(err.Error(), 256)+".", "")
	}
	if (len(body.Tools) > 0 || len(body.Functions) > 0) && !has(config.CapTools) {
		return lacks(config.CapTools, "tools", "tools")
	}
	if rf := body.ResponseFormat; rf != nil && (rf.Type == "json_object" || rf.Type == "json_schema") && !has(config.CapJSONMode) {
		return lacks(config.CapJSONMode, "response_format", "structured output")
	}
	if !has(config.CapVision) {
		for _, m := range body.Messages {
			if hasImage(m.Content) {
				return lacks(config.CapVision, "messages", "images")
			}
		}
	}
	return nil
}

// hasImage reports whether a message's content has an image part.
func hasImage(content json.RawMessage) bool {
	if len(content) == 0 || content[0] != '[' || !bytes.Contains(content, []byte("image_url")) {
		return false
	}
	var parts []struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(content, &parts) != nil {
		return false
	}
	return slices.ContainsFunc(parts, func(p struct {
		Type string `json:"type"`
	}) bool {
		return p.Type == "image_url"
	})
}
