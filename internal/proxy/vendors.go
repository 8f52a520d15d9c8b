package proxy

// Every vendor adapter registers itself with providers.Register; this
// import links them into every binary that serves the data plane.
import _ "github.com/tollgate-dev/tollgate/internal/providers/vendors"
