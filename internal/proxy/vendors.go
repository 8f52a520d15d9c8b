package proxy

// Vendor adapters register themselves with providers.Register; importing
// them here links them into every binary that serves the data plane. Add a
// line per vendor package.
import (
	_ "github.com/tollgate-dev/tollgate/internal/providers/anthropic"
	_ "github.com/tollgate-dev/tollgate/internal/providers/azure"
	_ "github.com/tollgate-dev/tollgate/internal/providers/bedrock"
	_ "github.com/tollgate-dev/tollgate/internal/providers/gemini"
	_ "github.com/tollgate-dev/tollgate/internal/providers/mock"
	_ "github.com/tollgate-dev/tollgate/internal/providers/openai"
)
