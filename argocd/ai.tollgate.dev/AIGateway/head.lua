-- Argo CD health check for ai.tollgate.dev/AIGateway (docs/gitops.md).
--
-- Follows Argo CD's GatewayClass check: a condition whose observedGeneration
-- is not metadata.generation is stale and ignored.
--   spec.replicas is 0                               Suspended
--   Accepted or Programmed False                     Degraded, its message
--   Ready missing, stale or Unknown                  Progressing
--   Ready True                                       Healthy
--   Ready False, reason ReplicasUnavailable          Progressing: pods are
--     starting or rolling out; a rollout that never finishes shows on the
--     gateway's Deployment, Degraded after its progress deadline
--   Ready False, any other reason                    Degraded, its message

local blocking = {"Accepted", "Programmed"}
local summary = "Ready"
local transient = {Pending = true, ReplicasUnavailable = true}

local function suspended()
  if obj.spec ~= nil and obj.spec.replicas == 0 then
    return "Scaled to zero replicas (spec.replicas is 0)"
  end
  return nil
end
