package config

// Request parameters, named as OpenRouter's supported_parameters: what a
// client's request can ask of a backend beyond its messages. A backend
// lists the ones it honours; provider.require_parameters routes only to
// backends that honour every one a request sets.
const (
	ParamMaxTokens         = "max_tokens"
	ParamTemperature       = "temperature"
	ParamTopP              = "top_p"
	ParamTopK              = "top_k"
	ParamStop              = "stop"
	ParamN                 = "n"
	ParamTools             = "tools"
	ParamToolChoice        = "tool_choice"
	ParamParallelToolCalls = "parallel_tool_calls"
	ParamResponseFormat    = "response_format"
	ParamStructuredOutputs = "structured_outputs"
	ParamSeed              = "seed"
	ParamPresencePenalty   = "presence_penalty"
	ParamFrequencyPenalty  = "frequency_penalty"
	ParamLogitBias         = "logit_bias"
	ParamLogprobs          = "logprobs"
	ParamTopLogprobs       = "top_logprobs"
	ParamReasoning         = "reasoning"
)

// RequestParameters lists every parameter name a backend may declare.
var RequestParameters = []string{ParamMaxTokens, ParamTemperature, ParamTopP, ParamTopK, ParamStop, ParamN,
	ParamTools, ParamToolChoice, ParamParallelToolCalls, ParamResponseFormat, ParamStructuredOutputs, ParamSeed,
	ParamPresencePenalty, ParamFrequencyPenalty, ParamLogitBias, ParamLogprobs, ParamTopLogprobs, ParamReasoning}

// vendorParameters are the defaults per provider type: what the vendor's
// API takes and Tollgate's adapter carries over to it. A parameter an
// adapter drops or only approximates (Anthropic's JSON mode is a prompt
// hint) is not listed. A ModelProvider's model may list its own.
var vendorParameters = map[ProviderType][]string{
	ProviderOpenAI: {ParamMaxTokens, ParamTemperature, ParamTopP, ParamStop, ParamN, ParamTools, ParamToolChoice,
		ParamParallelToolCalls, ParamResponseFormat, ParamStructuredOutputs, ParamSeed, ParamPresencePenalty,
		ParamFrequencyPenalty, ParamLogitBias, ParamLogprobs, ParamTopLogprobs, ParamReasoning},
	ProviderAnthropic: {ParamMaxTokens, ParamTemperature, ParamTopP, ParamStop, ParamTools, ParamToolChoice,
		ParamParallelToolCalls, ParamReasoning},
	ProviderGemini: {ParamMaxTokens, ParamTemperature, ParamTopP, ParamStop, ParamN, ParamTools, ParamToolChoice,
		ParamResponseFormat, ParamStructuredOutputs, ParamSeed, ParamPresencePenalty, ParamFrequencyPenalty, ParamReasoning},
	ProviderBedrock: {ParamMaxTokens, ParamTemperature, ParamTopP, ParamStop, ParamTools, ParamToolChoice},
	// An OpenAI-compatible server (vLLM, Ollama, ...) takes OpenAI's
	// parameters but often ignores some: the common core only.
	ProviderOpenAICompatible: {ParamMaxTokens, ParamTemperature, ParamTopP, ParamStop, ParamTools, ParamToolChoice,
		ParamResponseFormat, ParamSeed, ParamPresencePenalty, ParamFrequencyPenalty},
}

func init() {
	vendorParameters[ProviderAzureOpenAI] = vendorParameters[ProviderOpenAI]
	vendorParameters[ProviderMock] = vendorParameters[ProviderOpenAI]
}

// DefaultParameters is the request parameters a provider type's backends
// honour unless their model says otherwise.
func DefaultParameters(t ProviderType) []string { return vendorParameters[t] }
