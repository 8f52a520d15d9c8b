// Package vendors links every vendor package into the binary: each
// registers itself with providers.Register from its init function. Import
// it (blank) wherever the registry is asked: the proxy, compile and the
// operator's discovery. A new vendor package adds its line here.
package vendors

import (
	_ "github.com/tollgate-dev/tollgate/internal/providers/anthropic"
	_ "github.com/tollgate-dev/tollgate/internal/providers/azure"
	_ "github.com/tollgate-dev/tollgate/internal/providers/bedrock"
	_ "github.com/tollgate-dev/tollgate/internal/providers/gemini"
	_ "github.com/tollgate-dev/tollgate/internal/providers/mock"
	_ "github.com/tollgate-dev/tollgate/internal/providers/openai"
)
