-- expect: call ok
-- xpcall returns as Lua's does; its handler runs after the error has unwound.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local bad = {}
    local function want(c, m) if not c then bad[#bad + 1] = { field = "attributes.variety", message = m } end end
    local ok, a, b = xpcall(function(x, y) return x + y, "two" end, error, 1, 2)
    want(ok == true and a == 3 and b == "two", "results pass through")
    local ok2, h = xpcall(error, function(m) return "handled: " .. m end, "boom", 0)
    want(ok2 == false and h == "handled: boom", "the handler's answer")
    local ok3, e3 = xpcall(error, function(m) error(m, 0) end, "x", 0)
    want(ok3 == false and e3 == "error in error handling", "a handler that always fails")
    local ok4, e4 = xpcall(error, function(m) if type(m) == "table" then error("again", 0) end return "h:" .. m end, {})
    want(ok4 == false and e4 == "h:again", "a failing handler is given its own error")
    local ok5, e5 = xpcall(nil, function(m) return m end)
    want(ok5 == false and type(e5) == "string", "calling nil")
    want(not pcall(xpcall, function() end), "the handler is required")
    return bad
  end,
}
