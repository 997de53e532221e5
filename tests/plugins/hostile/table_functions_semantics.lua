-- expect: call ok
-- The charged table functions keep Lua's behaviour.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    local bad = {}
    local function want(c, m) if not c then bad[#bad + 1] = { field = "attributes.variety", message = m } end end
    local t = { 5, 3, 9, 1, 7, 3 }
    table.sort(t)
    want(table.concat(t, ",") == "1,3,3,5,7,9", "sort")
    table.sort(t, function(a, b) return a > b end)
    want(table.concat(t, ",") == "9,7,5,3,3,1", "sort with an order")
    local u = { "a", "b", "c" }
    table.insert(u, "d") table.insert(u, 1, "z")
    want(table.concat(u) == "zabcd", "insert")
    want(table.remove(u, 1) == "z" and table.remove(u) == "d" and table.concat(u) == "abc", "remove")
    want(table.concat(table.move({ 1, 2, 3 }, 1, 3, 2), ",") == "1,1,2,3", "move overlapping")
    want(select("#", table.unpack({ 1, 2, 3 })) == 3 and select(2, table.unpack({ 1, 2, 3 }, 2)) == 3, "unpack")
    want(table.concat({ 1, 2.5, "x" }, "-", 2, 3) == "2.5-x", "concat range")
    want(not pcall(table.concat, { {} }), "concat of a table")
    want(not pcall(table.insert, { 1 }, 5, "x"), "insert out of bounds")
    return bad
  end,
}
