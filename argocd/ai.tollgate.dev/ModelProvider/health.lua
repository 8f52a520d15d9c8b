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

-- The rest is the same in every Tollgate health.lua.

local function condition(ctype)
  if obj.status == nil or obj.status.conditions == nil then
    return nil
  end
  for _, c in ipairs(obj.status.conditions) do
    if c.type == ctype then
      return c
    end
  end
  return nil
end

-- A condition set for an older generation says nothing about this one.
-- One without observedGeneration counts as current.
local function stale(c)
  local generation = obj.metadata.generation
  return generation ~= nil and c.observedGeneration ~= nil and c.observedGeneration ~= generation
end

local hs = {}
local why = suspended()
if why ~= nil then
  hs.status = "Suspended"
  hs.message = why
  return hs
end

for _, ctype in ipairs(blocking) do
  local c = condition(ctype)
  if c ~= nil and not stale(c) and c.status == "False" then
    hs.status = "Degraded"
    hs.message = c.message or (ctype .. " is False: " .. (c.reason or ""))
    return hs
  end
end

local c = condition(summary)
if c == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to report " .. summary
elseif stale(c) then
  hs.status = "Progressing"
  hs.message = "Waiting for the controller to observe generation " .. obj.metadata.generation
elseif c.status == "True" then
  hs.status = "Healthy"
  hs.message = c.message or summary
elseif c.status == "False" and not transient[c.reason] then
  hs.status = "Degraded"
  hs.message = c.message or (summary .. " is False: " .. (c.reason or ""))
else
  hs.status = "Progressing"
  hs.message = c.message or ("Waiting for " .. summary)
end
return hs
