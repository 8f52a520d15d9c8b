-- Argo CD health check for ai.tollgate.dev/ModelProvider (docs/gitops.md).
--
-- Follows Argo CD's GatewayClass check: a condition whose observedGeneration
-- is not metadata.generation is stale and ignored.
--   Accepted False                                   Degraded, its message
--   Ready missing, stale or Unknown                  Progressing
--   Ready True                                       Healthy
--   Ready False (SecretNotFound, DiscoveryFailed...) Degraded, its message

local blocking = {"Accepted"}
local summary = "Ready"
local transient = {Pending = true}

local function suspended()
  return nil
end
