-- expect: call fails: 'message' must be 1..500 bytes of UTF-8
-- Each language's text is checked as a one-language message is.
return sereg.equipment_type {
  code = "t", name = "T", version = "1.0.0", registration_class = "梯",
  attributes = { variety = { type = "string", required = true, enum = { "3110" } } },
  validate = function(eq)
    return { { field = "variety", message = { zh = "中文", en = "" } } }
  end,
}
