-- expect: call ok
-- Methods on strings reach the sandbox's own string table.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local bad = {}
    local function want(c, m) if not c then bad[#bad + 1] = { field = "attributes.variety", message = m } end end
    want(getmetatable("") == false, "getmetatable('') is false")
    want(("").dump == nil and string.dump == nil, "no dump")
    want(("abc"):upper() == "ABC", "upper")
    want(("a,b,,c"):gsub(",", ";") == "a;b;;c", "gsub")
    want(select(2, ("2024-05-01"):find("^(%d%d%d%d)-(%d%d)-(%d%d)$")) == 10, "find")
    want(("10") + 1 == 11, "string arithmetic")
    want(not pcall(setmetatable, "", {}), "setmetatable on a string")
    want(("x"):rep(3, ",") == "x,x,x" and ("").rep("", 1e15) == "", "rep")
    return bad
  end,
}
