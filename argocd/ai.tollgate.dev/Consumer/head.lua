-- Argo CD health check for ai.tollgate.dev/Consumer (docs/gitops.md).
--
-- Follows Argo CD's GatewayClass check: a condition whose observedGeneration
-- is not metadata.generation is stale and ignored.
--   spec.disabled is true                            Suspended
--   Accepted False                                   Degraded, its message
--   Ready missing, stale or Unknown                  Progressing
--   Ready True                                       Healthy
--   Ready False (KeyNotReady, GatewayNotFound...)    Degraded, its message

local blocking = {"Accepted"}
local summary = "Ready"
local transient = {Pending = true}

local function suspended()
  if obj.spec ~= nil and obj.spec.disabled == true then
    return "Disabled (spec.disabled is true): requests with its key are refused"
  end
  return nil
end
