-- Argo CD health check for ai.tollgate.dev/TokenPolicy (docs/gitops.md).
--
-- A TokenPolicy has one condition, Accepted. Follows Argo CD's GatewayClass
-- check: a condition whose observedGeneration is not metadata.generation is
-- stale and ignored.
--   Accepted missing, stale or Unknown               Progressing
--   Accepted True                                    Healthy
--   Accepted False                                   Degraded, its message

local blocking = {}
local summary = "Accepted"
local transient = {Pending = true}

local function suspended()
  return nil
end
